"""ASGI app factory: the channels' routes, `/health`, `/metrics`, one error mapping."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.errors import ServiceUnavailable, TerraProError, http_status_for, user_message_for

if TYPE_CHECKING:
    from bot.observability.health import HealthCheck
    from bot.observability.metrics import Metrics

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None] | None]


def _health_route(health: HealthCheck | None) -> Route:
    async def endpoint(_request: Request) -> JSONResponse:
        components = await health.report() if health is not None else {}
        if any(state == "down" for state in components.values()):
            return JSONResponse({"status": "down", **components}, status_code=http_status_for(ServiceUnavailable()))
        return JSONResponse({"status": "ok", **components})

    return Route("/health", endpoint, methods=["GET"])


def _metrics_route(metrics: Metrics) -> Route:
    from bot.observability.metrics import CONTENT_TYPE

    async def endpoint(_request: Request) -> Response:
        # The database gauges are read at scrape time: off the event loop.
        body = await asyncio.to_thread(metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE)

    return Route("/metrics", endpoint, methods=["GET"])


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
    health: HealthCheck | None = None,
    metrics: Metrics | None = None,
) -> Starlette:
    """``health``: what `/health` checks (nothing: always ok); ``metrics``: served on `/metrics` if given."""
    @asynccontextmanager
    async def lifespan(_app: Starlette):
        for hook in on_startup or ():
            await _maybe_await(hook())
        try:
            yield
        finally:
            for hook in on_shutdown or ():
                await _maybe_await(hook())

    own_routes = [_health_route(health)] + ([_metrics_route(metrics)] if metrics is not None else [])
    return Starlette(
        routes=[*own_routes, *routes],
        exception_handlers={TerraProError: _on_error, Exception: _on_error},
        lifespan=lifespan,
    )


async def _maybe_await(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result
