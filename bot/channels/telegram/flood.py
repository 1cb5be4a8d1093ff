"""Telegram's flood limits: about 1 message/s per chat (short bursts allowed), 30/s overall."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


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


class FloodLimiter:
    def __init__(
        self,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        global_rate: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_tracked_chats: int = 10_000,
    ) -> None:
        # Never above Telegram's 30/s, whatever the settings say.
        global_rate = min(max(global_rate, 0.1), 30.0)
        self._per_chat = _Gcra(per_chat_rate, per_chat_burst, clock)
        # No burst overall: evenly spaced sends keep every 1 s window under the cap.
        self._global = _Gcra(global_rate, 1, clock)
        self._sleep = sleep
        self._max_tracked = max_tracked_chats

    async def acquire(self, chat_key: object) -> None:
        self._per_chat.prune(self._max_tracked)
        wait = self._per_chat.reserve(chat_key)
        if wait:
            await self._sleep(wait)
        wait = self._global.reserve(None)
        if wait:
            await self._sleep(wait)
