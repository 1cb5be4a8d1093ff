"""Telegram's outbound port: ``send(channel, chat_id, reply, lane) -> SendResult``.

Through python-telegram-bot's ``Bot`` (an ExtBot built with ``TelegramRateLimiter``,
which paces every send by lane). Here: 429 (priority lane: wait and retry, bounded;
bulk lane: ``RETRY_LATER`` at once, the limiter has paused the lane), 403 = blocked
(``UNREACHABLE``, remembered in the shared store so every process stops sending),
network errors retried with backoff, bad requests given up.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.channels.telegram.adapter import CHANNEL, reply_to_send_kwargs
from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.flood import retry_after_seconds
from bot.channels.telegram.privacy import chat_ref
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendResult
from bot.core.ports import PersonDirectory
from bot.storage.shared_keys import SharedKeyStore, SharedMap

log = logging.getLogger(__name__)

REASON_BLOCKED = "a bloqué le bot"
REASON_BAD_REQUEST = "telegram: requête refusée"
REASON_NETWORK = "telegram: réseau"
REASON_RATE_LIMITED = "telegram: limite de débit (429) répétée"
REASON_ERROR = "telegram: erreur"
REASON_NOTHING = "telegram: message vide"
BLOCKED_NAMESPACE = "telegram:blocked"
CAPTION_LIMIT = 1024  # Telegram's limit for a document's caption
# A person who blocked the bot and never wrote again: forget after a year.
BLOCKED_TTL = timedelta(days=365)


def blocked_chats(store: SharedKeyStore) -> SharedMap:
    return store.map(BLOCKED_NAMESPACE, BLOCKED_TTL)


def _api_chat_id(chat_id: int | str) -> int | str:
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


class TelegramPort:
    """One per bot; conversation replies, referent relays and broadcasts all go through it."""

    def __init__(
        self,
        bot: ExtBot,
        persons: PersonDirectory,
        codec: ButtonCodec,
        blocked: SharedMap,
        *,
        max_rate_limit_retries: int = 3,
        max_network_retries: int = 4,
        backoff_base: float = 0.5,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._persons = persons
        self._codec = codec
        self._blocked = blocked
        self._max_429 = max_rate_limit_retries
        self._max_network = max_network_retries
        self._backoff_base = backoff_base
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    async def is_blocked(self, chat_id: int | str) -> bool:
        return await self._blocked.aget(str(chat_id)) is not None

    async def mark_blocked(self, chat_id: int | str) -> None:
        """The person blocked the bot (403 or a my_chat_member update)."""
        key = str(chat_id)
        log.info("telegram: chat=%s blocked the bot", chat_ref(key))
        await self._blocked.aput(key, "1")
        try:
            await asyncio.to_thread(self._persons.mark_unreachable, CHANNEL, key)
        except Exception as exc:  # the directory failing must not hide the 403 outcome
            log.error("mark_unreachable failed for chat=%s: %s", chat_ref(key), type(exc).__name__)

    async def mark_reachable(self, chat_id: int | str) -> None:
        """The person wrote again (so unblocked the bot): sending is allowed again."""
        await self._blocked.adelete(str(chat_id))

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None,  # Telegram has no reply window
    ) -> SendResult:
        if await self.is_blocked(external_id):
            return SendResult.unreachable(REASON_BLOCKED)
        if reply.document is not None:
            return await self._send_document(external_id, reply, lane)
        calls = await self._render(external_id, reply)
        if not calls:
            return SendResult.failed(REASON_NOTHING)
        result = SendResult.failed(REASON_NOTHING)
        for kwargs in calls:
            result = await self._call(self._bot.send_message, kwargs, lane)
            if not result.sent:
                return result
        return result

    async def _send_document(self, external_id: str, reply: Reply, lane: Lane) -> SendResult:
        """A file (e.g. the CSV of /questions for an admin referent), the reply's text as caption."""
        document = reply.document
        kwargs = {
            "chat_id": _api_chat_id(external_id), "caption": reply.text[:CAPTION_LIMIT] or None,
            "document": InputFile(document.content, filename=document.filename),
        }
        return await self._call(self._bot.send_document, kwargs, lane)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        """Replace an earlier message's text (and its buttons: none if the reply has none)."""
        if await self.is_blocked(external_id):
            return SendResult.unreachable(REASON_BLOCKED)
        calls = await self._render(external_id, reply)
        if not calls:
            return SendResult.failed(REASON_NOTHING)
        # An edited message holds one chunk: the first, with the keyboard if any.
        kwargs = dict(calls[0])
        if reply.buttons and "reply_markup" not in kwargs:
            kwargs["reply_markup"] = calls[-1]["reply_markup"]
        kwargs["message_id"] = int(message_ref)
        return await self._call(self._bot.edit_message_text, kwargs, Lane.PRIORITY)

    async def _render(self, external_id: str, reply: Reply) -> list[dict[str, Any]]:
        if not reply.buttons:
            return reply_to_send_kwargs(_api_chat_id(external_id), reply, self._codec)
        # Long button payloads are written to the shared store: off the event loop.
        return await asyncio.to_thread(reply_to_send_kwargs, _api_chat_id(external_id), reply, self._codec)

    async def _call(
        self, method: Callable[..., Awaitable[Any]], kwargs: dict[str, Any], lane: Lane
    ) -> SendResult:
        key = str(kwargs["chat_id"])
        rate_limited = network_failures = 0
        while True:
            try:
                sent = await method(**kwargs, rate_limit_args=lane)
            except RetryAfter as exc:
                delay = retry_after_seconds(exc)
                if lane is Lane.BULK:
                    return SendResult.retry_later(delay)
                rate_limited += 1
                if rate_limited > self._max_429 or delay > self._max_retry_after:
                    log.warning("telegram 429: giving up chat=%s after %d", chat_ref(key), rate_limited)
                    return SendResult.failed(REASON_RATE_LIMITED)
                log.info("telegram 429: chat=%s retry in %.1fs", chat_ref(key), delay)
                await self._sleep(delay)
            except Forbidden:
                await self.mark_blocked(key)
                return SendResult.unreachable(REASON_BLOCKED)
            except BadRequest as exc:
                # Checked before NetworkError, its parent: retrying cannot fix a bad request.
                log.warning("telegram bad request chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendResult.failed(REASON_BAD_REQUEST)
            except NetworkError as exc:  # TimedOut included
                network_failures += 1
                if network_failures > self._max_network:
                    log.warning("telegram network error: giving up chat=%s", chat_ref(key))
                    return SendResult.failed(REASON_NETWORK)
                delay = self._backoff_base * 2 ** (network_failures - 1)
                log.info("telegram %s: chat=%s retry in %.1fs", type(exc).__name__, chat_ref(key), delay)
                await self._sleep(delay)
            except TelegramError as exc:
                log.warning("telegram error chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendResult.failed(REASON_ERROR)
            else:
                message_id = getattr(sent, "message_id", None)
                return SendResult.ok(str(message_id) if message_id is not None else None)
