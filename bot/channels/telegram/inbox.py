"""Telegram updates through the durable inbox: webhook and polling both write first, handle later.

Polling: an update is written to the inbox before the next getUpdates call
moves the offset past it (that call is what confirms it to Telegram).
Webhook: written before the 200. Either way the update id deduplicates, so a
webhook redelivered after a late 200, or an update fetched twice, is handled once.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.core.pump import QueuePump

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Past this many unhandled updates: the webhook answers 503, the poller waits.
MAX_BACKLOG = 20_000
_CHAT_PATHS = ("message", "edited_message", "callback_query", "my_chat_member", "channel_post")


def chat_key(data: dict[str, Any]) -> str:
    """Whose order an update keeps: its chat (a callback query's message's chat, else the sender)."""
    for field in _CHAT_PATHS:
        part = data.get(field)
        if not isinstance(part, dict):
            continue
        holder = part.get("message") if field == "callback_query" and isinstance(part.get("message"), dict) else part
        chat = holder.get("chat") if isinstance(holder, dict) else None
        if isinstance(chat, dict) and chat.get("id") is not None:
            return f"{CHANNEL}:{chat['id']}"
        sender = part.get("from")
        if isinstance(sender, dict) and sender.get("id") is not None:
            return f"{CHANNEL}:{sender['id']}"
    return f"{CHANNEL}:update:{data.get('update_id')}"


class TelegramInbox:
    def __init__(self, application: Application, pump: QueuePump, *, max_backlog: int = MAX_BACKLOG) -> None:
        self._application = application
        self._pump = pump
        self.max_backlog = max_backlog
        pump.register(CHANNEL, self.process)

    def full(self) -> bool:
        return self._pump.backlog() >= self.max_backlog

    def accept(self, data: dict[str, Any]) -> bool:
        """Write one raw update (a dict with an int ``update_id``); False for a duplicate."""
        return self._pump.accept(CHANNEL, str(data["update_id"]), chat_key(data), {"update": data})

    async def process(self, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload["update"], self._application.bot)
        # The Application runs its handlers and, on failure, its one error handler.
        await self._application.process_update(update)

    async def poll(self, *, timeout: float = 10.0, allowed_updates: list[str] | None = None) -> None:
        """Long polling until cancelled: fetch, write each update, only then ask for the next ones."""
        bot = self._application.bot
        offset: int | None = None
        failures = 0
        while True:
            if await asyncio.to_thread(self.full):
                await asyncio.sleep(1.0)  # Telegram keeps the updates while we catch up
                continue
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=timeout, allowed_updates=allowed_updates,
                    read_timeout=timeout + 5, api_kwargs=None,
                )
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, TelegramError) as exc:
                failures += 1
                log.warning("getUpdates failed: %s", type(exc).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            if not updates:
                continue
            raw = [u.to_dict() for u in updates]
            await asyncio.to_thread(lambda batch=raw: [self.accept(d) for d in batch])
            offset = max(u.update_id for u in updates) + 1


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
