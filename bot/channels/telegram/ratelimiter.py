"""Telegram's limits as a python-telegram-bot ``BaseRateLimiter``: lanes, per chat, per bot.

Every request the Bot makes passes through ``process_request``. Sends and edits to a
chat are paced: about 1 message/s per chat (a short burst allowed, a ``KeyPacer``)
and at most ``global_rate`` (≤ 30) per second for the whole bot, through a sliding
window with two lanes. Both come from ``limits``: in-process by default, shared by
every process of the bot through Redis when the composition root passes
``RedisRateLimits`` (scope: the bot's id, so two bots never share a budget). The lane comes from the caller as ``rate_limit_args``
(``Lane.PRIORITY`` by default: replies, relays; ``Lane.BULK``: broadcasts). A 429
pauses the bulk lane for the delay Telegram asks; the error goes back to the port,
which decides to wait (priority) or hand the row back (bulk). Other calls
(getUpdates, answerCallbackQuery, sendChatAction…) are not paced. A caller that must
know whether a request may have left (a broadcast) passes ``Paced(lane, on_write)``:
``on_write`` is awaited once the slot is granted, right before the request is written.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels.ratelimit import InProcessRateLimits, KeyPacer, RateLimits, SendLimiter, announce_write
from bot.channels.telegram.flood import retry_after_seconds
from bot.core.outbound import Lane, WriteHook

TELEGRAM_MAX_RATE = 30.0
PACED_ENDPOINTS = frozenset({
    "sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendVoice", "sendVideo",
    "sendLocation", "sendContact", "sendSticker", "copyMessage", "forwardMessage",
})


@dataclass(frozen=True)
class Paced:
    """``rate_limit_args`` with a hook run right before the request is written."""

    lane: Lane
    on_write: WriteHook | None = None


class TelegramRateLimiter(BaseRateLimiter[Lane | Paced]):
    def __init__(
        self,
        global_rate: float = 25.0,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        scope: str = "telegram",
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock``/``sleep`` only matter to the in-process limits built when ``limits`` is None."""
        if limits is None:
            limits = InProcessRateLimits(clock=clock, sleep=sleep)
        # Never above Telegram's 30/s, whatever the settings say.
        rate = min(max(global_rate, 0.1), TELEGRAM_MAX_RATE)
        self.window: SendLimiter = limits.window(scope, rate)
        self._per_chat: KeyPacer = limits.pacer(f"{scope}:chat", per_chat_rate, per_chat_burst)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | Paced | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        on_write = rate_limit_args.on_write if isinstance(rate_limit_args, Paced) else None
        chat_id = data.get("chat_id")
        if chat_id is None or endpoint not in PACED_ENDPOINTS:
            if on_write is not None:
                await on_write()
            return await callback(*args, **kwargs)
        if isinstance(rate_limit_args, Paced):
            lane = rate_limit_args.lane
        else:
            lane = rate_limit_args if isinstance(rate_limit_args, Lane) else Lane.PRIORITY
        await self._per_chat.acquire(str(chat_id))
        slot = await self.window.acquire(lane)
        await announce_write(slot, on_write)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            # Nothing was delivered; every bulk send waits out the delay (a campaign pauses).
            await self.window.pause(retry_after_seconds(exc))
            raise
        finally:
            await slot.done()
