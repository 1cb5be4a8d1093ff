from __future__ import annotations

import httpx
from starlette.routing import Route

from bot.core.errors import BadInput, ServiceUnavailable
from bot.web import create_app


async def _boom(_request):
    raise RuntimeError("secret detail: 221770000001")


async def _bad(_request):
    raise BadInput("internal reason")


async def _busy(_request):
    raise ServiceUnavailable()


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_health():
    async with _client(create_app([])) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_errors_are_mapped_without_details():
    app = create_app([Route("/boom", _boom), Route("/bad", _bad), Route("/busy", _busy)])
    async with _client(app) as client:
        boom, bad, busy, missing = [await client.get(p) for p in ("/boom", "/bad", "/busy", "/nope")]
    assert (boom.status_code, bad.status_code, busy.status_code, missing.status_code) == (500, 400, 503, 404)
    for response in (boom, bad, busy):
        assert "error" in response.json()
        assert "221770000001" not in response.text and "Traceback" not in response.text
        assert "internal reason" not in response.text
    assert bad.json()["error"] == BadInput.user_message


async def test_startup_and_shutdown_hooks_run():
    calls: list[str] = []

    async def start() -> None:
        calls.append("start")

    def stop() -> None:
        calls.append("stop")

    app = create_app([], on_startup=[start], on_shutdown=[stop])
    async with app.router.lifespan_context(app):
        assert calls == ["start"]
    assert calls == ["start", "stop"]
