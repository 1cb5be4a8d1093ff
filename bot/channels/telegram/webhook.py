"""POST /webhooks/telegram: Telegram pushes updates here once setWebhook was called."""
from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.config import validate_webhook_secret
from bot.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Real updates are a few KB; anything far larger is not from Telegram.
MAX_BODY_BYTES = 1_000_000


def telegram_routes(settings: Settings, application: Application) -> list[Route]:
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
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.info("telegram webhook: rejected body (%s)", type(exc).__name__)
            return Response("bad update", status_code=400)
        # Queued, not processed here: Telegram gets its 200 at once and the running
        # Application handles the update with the same ordering and limits as polling.
        await application.update_queue.put(update)
        return Response("ok", status_code=200)

    return [Route(WEBHOOK_PATH, receive, methods=["POST"])]
