"""POST /webhooks/telegram: Telegram pushes updates here once setWebhook was called."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update

from bot.channels.telegram.config import validate_webhook_secret
from bot.channels.telegram.inbox import TelegramInbox
from bot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Real updates are a few KB; anything far larger is not from Telegram.
MAX_BODY_BYTES = 1_000_000


def telegram_routes(settings: Settings, inbox: TelegramInbox) -> list[Route]:
    """Raises TelegramConfigError when no secret is configured: an open webhook would let
    anyone inject messages in a young person's name."""
    expected = validate_webhook_secret(settings.telegram_webhook_secret).encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response("too large", status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            Update.de_json(data, None)  # the shape check; the pump parses it again
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            log.info("telegram webhook: rejected body (%s)", type(exc).__name__)
            return Response("bad update", status_code=400)
        if await asyncio.to_thread(inbox.full):
            return Response("busy", status_code=503)  # Telegram retries later
        # Written durably before the 200; a redelivered update_id is recognised and dropped.
        await asyncio.to_thread(inbox.accept, data)
        return Response("ok", status_code=200)

    return [Route(WEBHOOK_PATH, receive, methods=["POST"])]
