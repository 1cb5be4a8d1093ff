"""POST /webhooks/telegram mounted in a Starlette app, with the Application running (no polling)."""
from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.telegram import TelegramConfigError, application_running, telegram_routes
from bot.channels.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from tests.channels.telegram.conftest import WEBHOOK_SECRET

CHAT = 9001


@pytest.fixture
async def client(settings, application, telegram_inbox):
    app = Starlette(routes=telegram_routes(settings, telegram_inbox))
    async with application_running(application):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://terrapro.test") as client:
            yield client


def _body(fake_api, text: str = "salut") -> bytes:
    return json.dumps({"update_id": fake_api.new_update_id(), **fake_api.message_update(CHAT, text)}).encode()


async def test_good_secret_is_accepted_and_the_update_answered(client, fake_api, handler):
    response = await client.post(WEBHOOK_PATH, content=_body(fake_api, "couture"),
                                 headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == 200
    [sent] = await fake_api.wait_for("sendMessage", chat_id=CHAT)
    assert sent.params["text"] == "Écho : couture"
    assert fake_api.calls_to("getUpdates") == []  # webhook mode never polls


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}])
async def test_missing_or_wrong_secret_is_403(client, fake_api, handler, headers):
    response = await client.post(WEBHOOK_PATH, content=_body(fake_api), headers=headers)
    assert response.status_code == 403
    assert handler.received == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "x"}',
                                  b"\xff\xfe\x00binary", b""])
async def test_malformed_body_is_400(client, handler, body):
    response = await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == 400
    assert handler.received == []


async def test_huge_body_is_413(client):
    response = await client.post(WEBHOOK_PATH, content=b"{" + b" " * 2_000_000 + b"}",
                                 headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == 413


async def test_get_is_not_allowed(client):
    assert (await client.get(WEBHOOK_PATH)).status_code == 405


@pytest.mark.parametrize("secret", ["", "   ", "has spaces", "x" * 300])
def test_route_is_not_mounted_without_a_valid_secret(settings, telegram_inbox, secret):
    with pytest.raises(TelegramConfigError, match="TERRAPRO_TELEGRAM_WEBHOOK_SECRET"):
        telegram_routes(settings.model_copy(update={"telegram_webhook_secret": secret}), telegram_inbox)


async def test_a_redelivered_update_is_answered_once(client, fake_api, handler, inbox):
    body = _body(fake_api, "une fois")
    for _ in range(3):  # Telegram redelivers when our 200 came late
        response = await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status_code == 200
    await inbox.drain()
    assert [m.text for m in handler.received] == ["une fois"]
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1


async def test_full_inbox_is_503_then_the_retry_is_accepted(client, fake_api, handler, inbox, telegram_inbox):
    telegram_inbox.max_backlog = 0
    body = _body(fake_api, "plus tard")
    assert (await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: WEBHOOK_SECRET})).status_code == 503
    telegram_inbox.max_backlog = 100
    assert (await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: WEBHOOK_SECRET})).status_code == 200
    await inbox.drain()
    assert [m.text for m in handler.received] == ["plus tard"]
