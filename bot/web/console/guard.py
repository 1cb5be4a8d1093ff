"""Who may see a page: a live server-side session, the right role, a valid CSRF token on writes."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.console_accounts import SessionRecord
from bot.web.console.deps import COOKIE, PREFIX, ConsoleDeps
from bot.web.console.security import same

Handler = Callable[[Request, SessionRecord], Awaitable[Response]]
ALL_ROLES = ("admin", "coordinator", "referent")
STAFF = ("admin", "coordinator")


def scope(session: SessionRecord) -> str | None:
    """The territory a user's pages are limited to; None = every territory."""
    return None if session.user.territoire == "all" else session.user.territoire


def can_see_territory(session: SessionRecord, territoire: str | None) -> bool:
    own = scope(session)
    return own is None or territoire == own


def error_page(deps: ConsoleDeps, request: Request, status: int, key: str) -> Response:
    return deps.templates.TemplateResponse(
        request, "error.html", {"message": deps.message(key), "session": None, "prefix": PREFIX}, status_code=status
    )


def guarded(deps: ConsoleDeps, *roles: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    roles = roles or ALL_ROLES

    def wrap(handler: Handler):
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            token = request.cookies.get(COOKIE)
            session = deps.sessions.active(token) if token else None
            if session is None:
                if request.method == "GET":
                    return RedirectResponse(f"{PREFIX}/connexion", status_code=303)
                return error_page(deps, request, 403, "forbidden")
            if request.method == "POST":
                form = await request.form()
                if not same(str(form.get("csrf") or ""), session.csrf_token):
                    return error_page(deps, request, 403, "csrf")
            if session.user.role not in roles:
                return error_page(deps, request, 403, "forbidden")
            return await handler(request, session)

        return endpoint

    return wrap


def render(deps: ConsoleDeps, request: Request, template: str, session: SessionRecord | None, status: int = 200,
           **context) -> Response:
    context.update(session=session, prefix=PREFIX, notice=request.query_params.get("ok"))
    response = deps.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    from urllib.parse import quote

    target = f"{PREFIX}{path}" + (f"?ok={quote(notice)}" if notice else "")
    return RedirectResponse(target, status_code=303)
