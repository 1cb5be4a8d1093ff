"""Who may see a page: a live server-side session, the right role, a valid CSRF token on writes."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.storage.console_accounts import SessionRecord
from bot.web.console.deps import COOKIE, PREFIX, ConsoleDeps
from bot.web.console.security import same

FLASH_COOKIE = "terrapro_console_flash"
FORM_OVERHEAD = 64 * 1024
Handler = Callable[[Request, SessionRecord], Awaitable[Response]]
ALL_ROLES = ("admin", "coordinator", "referent")
STAFF = ("admin", "coordinator")


def scope(session: SessionRecord) -> str | None:
    """The territory a user's pages are limited to; None = every territory."""
    return None if session.user.territoire == "all" else session.user.territoire


def can_see_territory(session: SessionRecord, territoire: str | None) -> bool:
    own = scope(session)
    return own is None or territoire == own


def error_page(deps: ConsoleDeps, request: Request, status: int, key: str, **values) -> Response:
    return deps.templates.TemplateResponse(
        request, "error.html", {"message": deps.message(key, **values), "session": None, "prefix": PREFIX},
        status_code=status,
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
                if body_too_big(request, deps.max_upload_bytes):
                    return error_page(deps, request, 413, "too_big", limit=deps.max_upload_bytes // 1024)
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
    flash = request.cookies.get(FLASH_COOKIE)
    context.update(session=session, prefix=PREFIX, notice=unquote(flash)[:500] if flash else None)
    response = deps.templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """After a write: back to a page, carrying its outcome in a one-shot cookie
    (not in the address, where a crafted link could put words in the console's mouth)."""
    response = RedirectResponse(f"{PREFIX}{path}", status_code=303)
    if notice:
        response.set_cookie(FLASH_COOKIE, quote(notice), max_age=60, httponly=True, samesite="strict", path=PREFIX)
    return response


def body_too_big(request: Request, limit: int) -> bool:
    """Refuse before parsing: a form is never bigger than the upload limit plus a little."""
    length = request.headers.get("content-length")
    return length is None or not length.isdigit() or int(length) > limit + FORM_OVERHEAD
