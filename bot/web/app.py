"""ASGI app factory: the channels' routes, a health check, one error mapping."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.core.errors import TerraProError, http_status_for, user_message_for

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None] | None]


async def _health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _on_error(_request: Request, exc: Exception) -> JSONResponse:
    status = http_status_for(exc)
    if status >= 500:
        # Type only: exception messages may quote what a young person wrote.
        log.error("request failed: %s", type(exc).__name__)
    return JSONResponse({"error": user_message_for(exc)}, status_code=status)


def create_app(
    routes: Sequence[BaseRoute],
    *,
    on_startup: Sequence[Hook] | None = None,
    on_shutdown: Sequence[Hook] | None = None,
) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette):
        for hook in on_startup or ():
            await _maybe_await(hook())
        try:
            yield
        finally:
            for hook in on_shutdown or ():
                await _maybe_await(hook())

    return Starlette(
        routes=[Route("/health", _health, methods=["GET"]), *routes],
        exception_handlers={TerraProError: _on_error, Exception: _on_error},
        lifespan=lifespan,
    )


async def _maybe_await(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result
