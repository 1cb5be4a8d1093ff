"""Admins only: the audit log, the accounts, closing an account's sessions."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.console.deps import ConsoleDeps
from bot.web.console.guard import error_page, guarded, redirect, render


def routes(deps: ConsoleDeps) -> list[Route]:
    @guarded(deps, "admin")
    async def journal(request: Request, session) -> Response:
        users = [(u, deps.sessions.count_active(u.id)) for u in deps.users.all()]
        return render(deps, request, "journal.html", session, entries=deps.audit.recent(200), users=users,
                      labels=deps.messages.get("audit", {}))

    @guarded(deps, "admin")
    async def revoke(request: Request, session) -> Response:
        user = deps.users.get(int(request.path_params["user_id"]))
        if user is None:
            return error_page(deps, request, 404, "not_found")
        count = deps.sessions.revoke_all(user.id)
        deps.audit.record(session.user.email, "sessions_revoked", user.email, str(count))
        return redirect("/journal", deps.message("sessions_revoked", count=count))

    return [
        Route("/journal", journal, methods=["GET"]),
        Route("/comptes/{user_id:int}/sessions/fermer", revoke, methods=["POST"]),
    ]
