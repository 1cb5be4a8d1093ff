"""Diffusions: compose, count the recipients, schedule, follow progress, cancel — the CLI's service."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadInput
from bot.storage.campaigns import FINAL_STATUSES
from bot.web.console.deps import ConsoleDeps
from bot.web.console.guard import STAFF, error_page, guarded, redirect, render, scope

FIELDS = ("text", "territoire", "bassin", "filiere", "event_id", "at")
FINAL = FINAL_STATUSES  # uncertain ones included: they are never sent again


def _reason(exc: BadInput) -> str:
    return exc.user_message if exc.user_message != BadInput.user_message else str(exc)


def routes(deps: ConsoleDeps) -> list[Route]:
    def draft_from(form, session) -> dict[str, str]:
        draft = {name: str(form.get(name) or "").strip() for name in FIELDS}
        if scope(session) is not None:
            draft["territoire"] = scope(session)  # a territory's coordinator writes to their territory only
        return draft

    def visible(campaign, session) -> bool:
        return scope(session) is None or campaign.territoire == scope(session)

    def page_response(request: Request, session, status: int = 200, **extra) -> Response:
        service = deps.broadcasts
        campaigns = [c for c in service.list(100) if visible(c, session)] if service else []
        rows = [(c, service.repo.counts(c.id)) for c in campaigns[:30]] if service else []
        return render(deps, request, "broadcasts.html", session, status, rows=rows, enabled=service is not None,
                      draft=extra.pop("draft", {}), **extra)

    def unavailable(request: Request):
        return error_page(deps, request, 503, "no_broadcast")

    @guarded(deps, *STAFF)
    async def page(request: Request, session) -> Response:
        return page_response(request, session)

    @guarded(deps, *STAFF)
    async def preview(request: Request, session) -> Response:
        if deps.broadcasts is None:
            return unavailable(request)
        draft = draft_from(await request.form(), session)
        try:
            count = deps.broadcasts.count_recipients(draft["territoire"] or None, draft["bassin"] or None,
                                                     draft["filiere"] or None)
        except BadInput as exc:
            return page_response(request, session, 400, error=_reason(exc), draft=draft)
        return page_response(request, session, draft=draft, count=count)

    @guarded(deps, *STAFF)
    async def create(request: Request, session) -> Response:
        if deps.broadcasts is None:
            return unavailable(request)
        draft = draft_from(await request.form(), session)
        try:
            campaign = deps.broadcasts.create(
                draft["text"], territoire=draft["territoire"] or None, bassin=draft["bassin"] or None,
                filiere=draft["filiere"] or None, event_id=draft["event_id"] or None,
                at=draft["at"] or deps.clock(),
            )
            count = deps.broadcasts.preview(campaign.id).recipients
        except BadInput as exc:
            return page_response(request, session, 400, error=_reason(exc), draft=draft)
        deps.audit.record(session.user.email, "campaign_scheduled", f"n°{campaign.id}", str(count))
        return redirect(f"/diffusions/{campaign.id}", deps.message("campaign_created", id=campaign.id, count=count))

    def campaign_of(request: Request, session):
        """(campaign, None) or (None, the error page): no service, unknown id or another territory's."""
        if deps.broadcasts is None:
            return None, unavailable(request)
        campaign = deps.broadcasts.repo.get(int(request.path_params["campaign_id"]))
        if campaign is None or not visible(campaign, session):
            return None, error_page(deps, request, 404, "not_found")
        return campaign, None

    @guarded(deps, *STAFF)
    async def detail(request: Request, session) -> Response:
        campaign, refusal = campaign_of(request, session)
        if refusal is not None:
            return refusal
        counts = deps.broadcasts.repo.counts(campaign.id)
        recipients = deps.broadcasts.preview(campaign.id).recipients
        done = sum(counts.get(s, 0) for s in FINAL)
        return render(deps, request, "broadcast.html", session, campaign=campaign, counts=counts,
                      recipients=recipients, remaining=max(0, recipients - done))

    @guarded(deps, *STAFF)
    async def cancel(request: Request, session) -> Response:
        campaign, refusal = campaign_of(request, session)
        if refusal is not None:
            return refusal
        if not deps.broadcasts.cancel_scheduled(campaign.id):
            return redirect(f"/diffusions/{campaign.id}", deps.message("campaign_not_cancellable", id=campaign.id))
        deps.audit.record(session.user.email, "campaign_cancelled", f"n°{campaign.id}")
        return redirect(f"/diffusions/{campaign.id}", deps.message("campaign_cancelled", id=campaign.id))

    return [
        Route("/diffusions", page, methods=["GET"]),
        Route("/diffusions", create, methods=["POST"]),
        Route("/diffusions/apercu", preview, methods=["POST"]),
        Route("/diffusions/{campaign_id:int}", detail, methods=["GET"]),
        Route("/diffusions/{campaign_id:int}/annuler", cancel, methods=["POST"]),
    ]
