"""Log in, log out, set a password from a one-time link."""
from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.console.deps import COOKIE, LOGIN_CSRF_COOKIE, PREFIX, ConsoleDeps
from bot.web.console.guard import body_too_big, error_page, guarded, redirect, render
from bot.web.console.security import MIN_PASSWORD, hash_password, new_token, same, verify_password

SESSION_LIFETIME = timedelta(hours=12)


def _with_login_csrf(deps: ConsoleDeps, request: Request, template: str, status: int = 200, **context) -> Response:
    token = new_token()
    response = render(deps, request, template, None, status, csrf=token, **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=deps.secure_cookies,
                        path=PREFIX)
    return response


async def _login_form_ok(request: Request) -> tuple[bool, dict]:
    if body_too_big(request, 0):
        return False, {}
    form = await request.form()
    return same(str(form.get("csrf") or ""), request.cookies.get(LOGIN_CSRF_COOKIE)), dict(form)


def routes(deps: ConsoleDeps) -> list[Route]:
    async def login_page(request: Request) -> Response:
        return _with_login_csrf(deps, request, "login.html")

    async def login(request: Request) -> Response:
        ok, form = await _login_form_ok(request)
        if not ok:
            return error_page(deps, request, 403, "csrf")
        email = str(form.get("email") or "").strip().lower()[:254]
        keys = (f"account:{email}", f"ip:{request.client.host if request.client else '?'}")
        if any(deps.throttle.locked(key) for key in keys):
            return _with_login_csrf(deps, request, "login.html", 429, error=deps.message("login_locked"))
        user = deps.users.by_email(email)
        if user is None or user.disabled or not verify_password(user.password_hash, str(form.get("password") or "")):
            for key in keys:
                deps.throttle.fail(key)
            locked = any(deps.throttle.locked(key) for key in keys)
            return _with_login_csrf(deps, request, "login.html", 429 if locked else 401,
                                    error=deps.message("login_locked" if locked else "login_failed"))
        for key in keys:
            deps.throttle.succeed(key)
        token = new_token()
        deps.sessions.create(user.id, token, new_token(), SESSION_LIFETIME)
        deps.audit.record(user.email, "login")
        response = redirect("/" if user.role != "referent" else "/file")
        response.set_cookie(COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                            samesite="strict", secure=deps.secure_cookies, path=PREFIX)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
        return response

    @guarded(deps)
    async def logout(request: Request, session) -> Response:
        deps.sessions.revoke(request.cookies.get(COOKIE, ""))
        deps.audit.record(session.user.email, "logout")
        response = redirect("/connexion")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    async def password_page(request: Request) -> Response:
        if deps.users.by_setup_token(request.path_params["token"]) is None:
            return error_page(deps, request, 404, "link_invalid")
        return _with_login_csrf(deps, request, "password.html")

    async def set_password(request: Request) -> Response:
        ok, form = await _login_form_ok(request)
        if not ok:
            return error_page(deps, request, 403, "csrf")
        user = deps.users.by_setup_token(request.path_params["token"])
        if user is None:
            return error_page(deps, request, 404, "link_invalid")
        password = str(form.get("password") or "")
        if len(password) < MIN_PASSWORD:
            return _with_login_csrf(deps, request, "password.html", 400, error=deps.message("password_too_short"))
        if password != str(form.get("confirm") or ""):
            return _with_login_csrf(deps, request, "password.html", 400, error=deps.message("password_mismatch"))
        deps.users.set_password(user.id, hash_password(password))
        deps.sessions.revoke_all(user.id)
        deps.audit.record(user.email, "password_set")
        return redirect("/connexion", deps.message("password_set"))

    return [
        Route("/connexion", login_page, methods=["GET"]),
        Route("/connexion", login, methods=["POST"]),
        Route("/deconnexion", logout, methods=["POST"]),
        Route("/mot-de-passe/{token}", password_page, methods=["GET"]),
        Route("/mot-de-passe/{token}", set_password, methods=["POST"]),
    ]
