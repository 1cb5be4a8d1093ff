"""Telegram's per-chat flood limit (about 1 message/s per chat, short bursts allowed)."""
from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that retry_after will become a timedelta; accept both, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Gcra:
    """Generic cell rate algorithm: ``burst`` sends at once, then one every ``interval`` s.

    Each call reserves its slot synchronously before sleeping, so concurrent callers never
    pick the same slot and no lock is needed.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(1, burst) - 1) * self.interval
        self._clock = clock
        self._tat: dict[object, float] = {}  # theoretical arrival time per key

    def reserve(self, key: object) -> float:
        """Books the next slot for ``key``; returns how long to wait before using it."""
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        wait = max(0.0, tat - self.tolerance - now)
        self._tat[key] = tat + self.interval
        return wait

    def prune(self, max_keys: int) -> None:
        # A key whose arrival time is past behaves as a fresh one: forget it.
        if len(self._tat) > max_keys:
            now = self._clock()
            for key in [k for k, tat in self._tat.items() if tat <= now]:
                del self._tat[key]


class PerChatPacer:
    """Pacing only (a few seconds of memory per active chat); nothing here must be shared."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 3,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_tracked_chats: int = 10_000,
    ) -> None:
        self._gcra = _Gcra(rate, burst, clock)
        self._sleep = sleep
        self._max_tracked = max_tracked_chats

    async def acquire(self, chat_key: object) -> None:
        self._gcra.prune(self._max_tracked)
        wait = self._gcra.reserve(chat_key)
        if wait:
            await self._sleep(wait)
