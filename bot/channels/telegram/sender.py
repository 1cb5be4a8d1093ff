"""Sending replies with Telegram's limits: flood control, 429 retries, 403 = blocked, backoff."""
from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import Enum
from typing import Any

from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.adapter import CHANNEL, reply_to_send_kwargs
from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.flood import FloodLimiter
from bot.channels.telegram.privacy import chat_ref
from bot.core.messages import Reply
from bot.core.ports import PersonDirectory

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024  # Telegram's caption limit


class SendOutcome(str, Enum):
    SENT = "sent"
    # The person blocked the bot (403), now or earlier: nothing more is sent to them.
    BLOCKED = "blocked"
    # Gave up: bad request, or retries exhausted.
    FAILED = "failed"


def _retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that retry_after will become a timedelta; accept both, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _api_chat_id(chat_id: int | str) -> int | str:
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


# The broadcast limiter's priority lane (bot.broadcast.ratelimit.INTERACTIVE).
INTERACTIVE_LANE = "interactive"


class TelegramSender:
    """One per bot; shared by conversation replies, broadcasts and referent relays."""

    def __init__(
        self,
        bot: Bot,
        persons: PersonDirectory,
        codec: ButtonCodec,
        limiter: FloodLimiter,
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
        self._limiter = limiter
        self._max_429 = max_rate_limit_retries
        self._max_network = max_network_retries
        self._backoff_base = backoff_base
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._blocked: set[str] = set()
        self._retry_after_listeners: list[Callable[[float], None]] = []
        self._shared_limiter: Any = None

    def share_rate_with(self, limiter: Any) -> None:
        """Answers and relays take a priority ("interactive") slot in the broadcast limiter:
        together with broadcasts they stay under its rate, and they go first."""
        self._shared_limiter = limiter

    def on_retry_after(self, listener: Callable[[float], None]) -> None:
        """Called with the delay of every 429, so a broadcast can pause as a whole."""
        self._retry_after_listeners.append(listener)

    def is_blocked(self, chat_id: int | str) -> bool:
        return str(chat_id) in self._blocked

    def mark_blocked(self, chat_id: int | str) -> None:
        """The person blocked the bot (403 or a my_chat_member update)."""
        self._on_blocked(str(chat_id))

    def mark_reachable(self, chat_id: int | str) -> None:
        """The person wrote again (so unblocked the bot): sending is allowed again."""
        self._blocked.discard(str(chat_id))

    async def send(self, chat_id: int | str, reply: Reply, *, bulk: bool = False) -> SendOutcome:
        """``bulk``: a broadcast, which already holds its slot in the broadcast limiter."""
        if self.is_blocked(chat_id):
            return SendOutcome.BLOCKED
        if reply.document is not None:
            return await self._send_document(chat_id, reply)
        for kwargs in reply_to_send_kwargs(_api_chat_id(chat_id), reply, self._codec):
            outcome = await self._send_one(kwargs, bulk=bulk)
            if outcome is not SendOutcome.SENT:
                return outcome
        return SendOutcome.SENT

    async def send_with_id(self, chat_id: int | str, reply: Reply) -> tuple[SendOutcome, int | None]:
        """Like send, plus the id of the last message sent (the one carrying the buttons)."""
        if self.is_blocked(chat_id):
            return SendOutcome.BLOCKED, None
        message_id = None
        for kwargs in reply_to_send_kwargs(_api_chat_id(chat_id), reply, self._codec):
            outcome, sent = await self._call(self._bot.send_message, kwargs)
            if outcome is not SendOutcome.SENT:
                return outcome, None
            message_id = getattr(sent, "message_id", None)
        return SendOutcome.SENT, message_id

    async def edit_text(self, chat_id: int | str, message_id: int | str, reply: Reply) -> SendOutcome:
        """Replace an earlier message's text (and its buttons: none if the reply has none)."""
        if self.is_blocked(chat_id):
            return SendOutcome.BLOCKED
        calls = reply_to_send_kwargs(_api_chat_id(chat_id), reply, self._codec)
        if not calls:
            return SendOutcome.FAILED
        # An edited message holds one chunk: the first, with the keyboard if any.
        kwargs = dict(calls[0])
        if reply.buttons and "reply_markup" not in kwargs:
            kwargs["reply_markup"] = calls[-1]["reply_markup"]
        kwargs["message_id"] = int(message_id)
        outcome, _ = await self._call(self._bot.edit_message_text, kwargs)
        return outcome

    async def _send_document(self, chat_id: int | str, reply: Reply) -> SendOutcome:
        document = reply.document
        kwargs = {
            "chat_id": _api_chat_id(chat_id), "caption": reply.text[:CAPTION_LIMIT] or None,
            "document": InputFile(document.content, filename=document.filename),
        }
        outcome, _ = await self._call(self._bot.send_document, kwargs)
        return outcome

    async def _send_one(self, kwargs: dict[str, Any], *, bulk: bool = False) -> SendOutcome:
        outcome, _ = await self._call(self._bot.send_message, kwargs, bulk=bulk)
        return outcome

    async def _call(
        self, method: Callable[..., Awaitable[Any]], kwargs: dict[str, Any], *, bulk: bool = False
    ) -> tuple[SendOutcome, Any]:
        if self._shared_limiter is None or bulk:
            return await self._call_limited(method, kwargs)
        async with await self._shared_limiter.acquire(INTERACTIVE_LANE):
            return await self._call_limited(method, kwargs)

    async def _call_limited(
        self, method: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]
    ) -> tuple[SendOutcome, Any]:
        key = str(kwargs["chat_id"])
        rate_limited = network_failures = 0
        while True:
            await self._limiter.acquire(key)
            try:
                return SendOutcome.SENT, await method(**kwargs)
            except RetryAfter as exc:
                rate_limited += 1
                delay = _retry_after_seconds(exc)
                for listener in self._retry_after_listeners:
                    listener(delay)
                if rate_limited > self._max_429 or delay > self._max_retry_after:
                    log.warning("telegram 429: giving up chat=%s after %d", chat_ref(key), rate_limited)
                    return SendOutcome.FAILED, None
                log.info("telegram 429: chat=%s retry in %.1fs", chat_ref(key), delay)
                await self._sleep(delay)
            except Forbidden:
                self._on_blocked(key)
                return SendOutcome.BLOCKED, None
            except BadRequest as exc:
                # Checked before NetworkError, its parent: retrying cannot fix a bad request.
                log.warning("telegram bad request chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendOutcome.FAILED, None
            except NetworkError as exc:  # TimedOut included
                network_failures += 1
                if network_failures > self._max_network:
                    log.warning("telegram network error: giving up chat=%s", chat_ref(key))
                    return SendOutcome.FAILED, None
                delay = self._backoff_base * 2 ** (network_failures - 1)
                log.info("telegram %s: chat=%s retry in %.1fs", type(exc).__name__, chat_ref(key), delay)
                await self._sleep(delay)
            except TelegramError as exc:
                log.warning("telegram error chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendOutcome.FAILED, None

    def _on_blocked(self, key: str) -> None:
        self._blocked.add(key)
        log.info("telegram 403: chat=%s blocked the bot", chat_ref(key))
        try:
            self._persons.mark_unreachable(CHANNEL, key)
        except Exception as exc:  # the directory failing must not hide the 403 outcome
            log.error("mark_unreachable failed for chat=%s: %s", chat_ref(key), type(exc).__name__)
