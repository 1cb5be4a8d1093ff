"""A sliding-window rate limiter with a priority lane, one per channel (inside its outbound port).

Why not a token bucket: a bucket lets a full bucket go out at once on top of the
steady rate, so some one-second window sees more than ``rate`` messages. Here a
send holds its slot from the moment it starts until one window after it
*finished*. Whatever the network latency, the platform receives it somewhere in
that interval, so no window of the platform's clock can hold more than
``capacity`` of our sends. Starts are also spaced by 1/rate so the load is even
rather than a burst at the start of each second.

Two lanes share the capacity: ``Lane.PRIORITY`` (answers to people talking to the
bot, referent relays) is served first; ``Lane.BULK`` (broadcasts, reminders) only
takes a slot when no priority sender is waiting, and is the only lane a 429 pauses.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.core.outbound import Lane

_IDLE_TICK = 0.002


class Slot:
    """One permitted send. ``done()`` when the platform answered, ``cancel()`` if nothing was sent."""

    __slots__ = ("_limiter", "_open")

    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self._limiter = limiter
        self._open = True

    def done(self) -> None:
        if self._open:
            self._open = False
            self._limiter._release(used=True)

    def cancel(self) -> None:
        if self._open:
            self._open = False
            self._limiter._release(used=False)

    async def __aenter__(self) -> Slot:
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        # An exception mid-send may still have reached the platform: count it.
        self.done()


class SlidingWindowLimiter:
    def __init__(
        self,
        rate: float,
        *,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.window = float(window)
        # Whole messages per window, never rounded up.
        self.capacity = max(1, math.floor(rate * window + 1e-9))
        self._spacing = window / self.capacity
        self._clock = clock
        self._sleep = sleep
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._next_start = 0.0
        self._paused_until = 0.0
        self._interactive_waiting = 0
        self._gate: asyncio.Lock | None = None
        self._gate_loop: asyncio.AbstractEventLoop | None = None

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """A 429: no bulk send starts before ``seconds`` from now (priority sends still go)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    async def acquire(self, lane: Lane = Lane.BULK) -> Slot:
        if lane is Lane.PRIORITY:
            self._interactive_waiting += 1
            try:
                return await self._wait_for_slot(lane)
            finally:
                self._interactive_waiting -= 1
        # One bulk waiter at a time polls the clock; the others queue on the lock (FIFO).
        async with self._bulk_gate():
            return await self._wait_for_slot(lane)

    def _bulk_gate(self) -> asyncio.Lock:
        # One lock per event loop: a CLI may run several asyncio.run() with the same limiter.
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate_loop is not loop:
            self._gate, self._gate_loop = asyncio.Lock(), loop
        return self._gate

    async def _wait_for_slot(self, lane: Lane) -> Slot:
        while True:
            now = self._clock()
            wait = self._wait_time(now, lane)
            if wait <= 0:
                self._in_flight += 1
                # Stay on the 1/rate grid when we woke up a little late (sleep overshoot
                # would otherwise add up); after an idle spell, restart from now. The
                # window check above is the hard limit either way.
                late = now - self._next_start
                base = self._next_start if 0 <= late < self._spacing else now
                self._next_start = base + self._spacing
                return Slot(self)
            await self._sleep(wait)

    def _wait_time(self, now: float, lane: Lane) -> float:
        if lane is Lane.BULK:
            if now < self._paused_until:
                return self._paused_until - now
            if self._interactive_waiting:
                return _IDLE_TICK
            if now < self._next_start:
                return self._next_start - now
        horizon = now - self.window
        while self._finished and self._finished[0] <= horizon:
            self._finished.popleft()
        if self._in_flight + len(self._finished) < self.capacity:
            return 0.0
        if self._finished:
            return max(self._finished[0] - horizon, 1e-4)
        return _IDLE_TICK  # every slot is in flight: wait for one to finish

    def _release(self, *, used: bool) -> None:
        self._in_flight -= 1
        if used:
            self._finished.append(self._clock())
        else:
            # Nothing went out: give the spacing back so the next send is not delayed.
            self._next_start = max(self._clock(), self._next_start - self._spacing)
