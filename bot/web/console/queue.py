"""File d'attente: waiting and open tickets, urgent first; admins reassign or close. Refreshes itself."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.console.deps import ConsoleDeps
from bot.web.console.guard import error_page, guarded, redirect, render, scope

REFRESH_SECONDS = 30
NO_REFERENT = -1  # matches no ticket's referent


def first_name(name: str | None) -> str:
    """Only a first name without digits: never a phone number or a platform handle."""
    words = (name or "").split()
    if not words or any(ch.isdigit() for ch in words[0]) or "@" in words[0]:
        return "—"
    return words[0][:20]


def routes(deps: ConsoleDeps) -> list[Route]:
    def own_referent(session) -> int | None:
        """A referent account sees the waiting tickets plus its own; NO_REFERENT if not linked to one."""
        if session.user.role != "referent":
            return None
        return session.user.referent_id or NO_REFERENT

    def rows_for(session):
        return deps.views.open_tickets(scope(session), referent_id=own_referent(session))

    @guarded(deps)
    async def page(request: Request, session) -> Response:
        now = deps.clock()
        referents = {r.id: r for r in deps.referents.all()}
        rows = [
            {"row": row, "name": first_name(row.first_name),
             "minutes": max(0, int((now - row.ticket.created_at).total_seconds() // 60)),
             "referent": referents.get(row.ticket.referent_id)}
            for row in rows_for(session)
        ]
        choices = [r for r in referents.values() if deps.bassin_territory(r.bassin) in (scope(session), None)
                   or scope(session) is None]
        return render(deps, request, "queue.html", session, rows=rows, referents=choices, refresh=REFRESH_SECONDS)

    def ticket_of(request: Request, session):
        try:
            ticket_id = int(request.path_params["ticket_id"])
        except ValueError:
            return None
        return deps.views.ticket(ticket_id, scope(session))

    @guarded(deps, "admin")
    async def close(request: Request, session) -> Response:
        row = ticket_of(request, session)
        if row is None:
            return error_page(deps, request, 404, "not_found")
        note = "fermée depuis la console"
        if deps.handoff_service is not None:
            closed = await deps.handoff_service.close_by_admin(row.ticket.id, note)
        else:
            closed = deps.handoffs.close(row.ticket.id, note)
        if closed is None:
            return redirect("/file", deps.message("ticket_not_open", id=row.ticket.id))
        deps.audit.record(session.user.email, "ticket_closed", f"n°{row.ticket.id}")
        return redirect("/file", deps.message("ticket_closed", id=row.ticket.id))

    @guarded(deps, "admin")
    async def reassign(request: Request, session) -> Response:
        row = ticket_of(request, session)
        form = await request.form()
        referent_id = str(form.get("referent_id") or "")
        referent = deps.referents.get(int(referent_id)) if referent_id.isdigit() else None
        if row is None or referent is None:
            return error_page(deps, request, 404, "not_found")
        if not deps.views.reassign(row.ticket.id, referent.id):
            return redirect("/file", deps.message("ticket_not_open", id=row.ticket.id))
        deps.audit.record(session.user.email, "ticket_reassigned", f"n°{row.ticket.id}", str(referent.id))
        return redirect("/file", deps.message("ticket_reassigned", id=row.ticket.id, name=referent.name))

    @guarded(deps)
    async def detail(request: Request, session) -> Response:
        row = ticket_of(request, session)
        if row is None or (session.user.role == "referent" and row.ticket.status != "waiting"
                           and row.ticket.referent_id != own_referent(session)):
            return error_page(deps, request, 404, "not_found")
        return render(deps, request, "ticket.html", session, row=row, name=first_name(row.first_name))

    return [
        Route("/file", page, methods=["GET"]),
        Route("/file/{ticket_id}", detail, methods=["GET"]),
        Route("/file/{ticket_id}/fermer", close, methods=["POST"]),
        Route("/file/{ticket_id}/confier", reassign, methods=["POST"]),
    ]
