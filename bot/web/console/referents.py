"""Référents: list, add, remove, presence; permanence hours from content/permanences.csv."""
from __future__ import annotations

import csv

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadInput
from bot.web.console.deps import ConsoleDeps
from bot.web.console.guard import STAFF, error_page, guarded, redirect, render, scope


def routes(deps: ConsoleDeps) -> list[Route]:
    def mine(referent, session) -> bool:
        """A territory's coordinator manages the referents of its bassins; bassin-less ones are admins' business."""
        own = scope(session)
        return own is None or deps.bassin_territory(referent.bassin) == own

    def permanences() -> list[dict[str, str]]:
        path = deps.content_dir / "permanences.csv"
        if not path.exists():
            return []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def page_response(request: Request, session, status: int = 200, **extra) -> Response:
        referents = [r for r in deps.referents.all() if mine(r, session)]
        return render(deps, request, "referents.html", session, status, referents=referents,
                      permanences=permanences(), **extra)

    @guarded(deps, *STAFF)
    async def page(request: Request, session) -> Response:
        return page_response(request, session)

    @guarded(deps, *STAFF)
    async def add(request: Request, session) -> Response:
        form = await request.form()
        bassin = str(form.get("bassin") or "").strip() or None
        if scope(session) is not None and deps.bassin_territory(bassin) != scope(session):
            return page_response(request, session, 403, error=deps.message("forbidden"))
        try:
            referent = deps.referents.add(str(form.get("name") or ""), str(form.get("telegram_id") or ""), bassin,
                                          "admin" if form.get("role") == "admin" and session.user.role == "admin" else "referent")
        except BadInput as exc:
            return page_response(request, session, 400, error=str(exc))
        deps.audit.record(session.user.email, "referent_added", f"{referent.id}", referent.bassin or "")
        return redirect("/referents", deps.message("referent_added", name=referent.name))

    def referent_of(request: Request, session):
        referent = deps.referents.get(int(request.path_params["referent_id"]))
        return referent if referent is not None and mine(referent, session) else None

    @guarded(deps, *STAFF)
    async def remove(request: Request, session) -> Response:
        referent = referent_of(request, session)
        if referent is None:
            return error_page(deps, request, 404, "not_found")
        for ticket in deps.handoffs.assigned_to(referent.id):
            deps.handoffs.release(ticket.id, referent.id)  # their conversation goes back to the queue
        deps.referents.remove(referent.id)
        deps.audit.record(session.user.email, "referent_removed", f"{referent.id}")
        return redirect("/referents", deps.message("referent_removed"))

    @guarded(deps, *STAFF)
    async def presence(request: Request, session) -> Response:
        referent = referent_of(request, session)
        if referent is None:
            return error_page(deps, request, 404, "not_found")
        present = (await request.form()).get("present") == "1"
        deps.referents.set_present(referent.id, present)
        deps.audit.record(session.user.email, "referent_present" if present else "referent_absent", f"{referent.id}")
        return redirect("/referents", deps.message("referent_presence"))

    return [
        Route("/referents", page, methods=["GET"]),
        Route("/referents", add, methods=["POST"]),
        Route("/referents/{referent_id:int}/retirer", remove, methods=["POST"]),
        Route("/referents/{referent_id:int}/presence", presence, methods=["POST"]),
    ]
