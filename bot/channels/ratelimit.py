"""Send rate limits: the interfaces every channel port uses, and the in-process limiter.

A channel's port asks a ``SendLimiter`` for a slot before each request to its
platform and gives it back when the platform answered; a ``KeyPacer`` spaces the
sends to one conversation. ``RateLimits`` builds both for a named scope (one bot,
one WhatsApp number). Two implementations:

- here, in-process (``InProcessRateLimits``): the default, with the embedded SQLite
  set-up, where one process sends for the bot;
- ``bot/channels/ratelimit_redis.py`` (``RedisRateLimits``), chosen by the composition
  root when ``TERRAPRO_REDIS_URL`` is set: the same rules enforced across every
  process that shares the Redis.

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
from typing import Protocol

from bot.core.outbound import Lane, WriteHook

_IDLE_TICK = 0.002


class SendSlot(Protocol):
    """One permitted send. ``done()`` once the platform answered, ``cancel()`` if nothing was sent."""

    async def done(self) -> None: ...

    async def cancel(self) -> None: ...



async def announce_write(slot: SendSlot, on_write: WriteHook | None) -> None:
    """The slot is granted and the request is about to be written: tell ``on_write``. If it
    fails, nothing goes out, so the slot is handed back before the error goes on."""
    if on_write is None:
        return
    try:
        await on_write()
    except BaseException:
        await slot.cancel()
        raise

class SendLimiter(Protocol):
    """The capacity of one scope (a bot, a number), in two lanes."""

    @property
    def rate(self) -> float: ...

    async def acquire(self, lane: Lane = Lane.BULK) -> SendSlot:
        """Waits for a slot; priority before bulk, bulk not while paused."""
        ...

    async def pause(self, seconds: float) -> None:
        """A 429: no bulk send starts before ``seconds`` from now (priority sends still go)."""
        ...

    async def paused_for(self) -> float: ...


class KeyPacer(Protocol):
    """A few sends at once to one key (a chat), then one every 1/rate seconds."""

    async def acquire(self, key: str) -> None: ...


class RateLimits(Protocol):
    """Builds the limiters of a scope; one per process, from the composition root."""

    def window(self, scope: str, rate: float, *, window: float = 1.0) -> SendLimiter: ...

    def pacer(self, scope: str, rate: float, burst: int) -> KeyPacer: ...

    def close(self) -> None:
        """Shutting down: a wait that only a lost backend prolongs gives up instead."""
        ...

    async def aclose(self) -> None: ...


class Slot:
    __slots__ = ("_limiter", "_open")

    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self._limiter = limiter
        self._open = True

    async def done(self) -> None:
        if self._open:
            self._open = False
            self._limiter._release(used=True)

    async def cancel(self) -> None:
        if self._open:
            self._open = False
            self._limiter._release(used=False)


class SlidingWindowLimiter:
    """The in-process ``SendLimiter``: exact for one process, blind to any other."""

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
        self._rate = float(rate)
        self.window = float(window)
        self.capacity = capacity_of(rate, window)
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
    def rate(self) -> float:
        return self._rate

    async def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def pause(self, seconds: float) -> None:
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


def capacity_of(rate: float, window: float) -> int:
    """Whole messages per window, never rounded up."""
    return max(1, math.floor(rate * window + 1e-9))


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


class GcraPacer:
    """The in-process ``KeyPacer`` (a few seconds of memory per active key)."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 3,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_tracked_keys: int = 10_000,
    ) -> None:
        self._gcra = _Gcra(rate, burst, clock)
        self._sleep = sleep
        self._max_tracked = max_tracked_keys

    async def acquire(self, key: str) -> None:
        self._gcra.prune(self._max_tracked)
        wait = self._gcra.reserve(key)
        if wait:
            await self._sleep(wait)


class InProcessRateLimits:
    """Limits known to this process only: right when it is the only one sending (SQLite set-up)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep

    def window(self, scope: str, rate: float, *, window: float = 1.0) -> SlidingWindowLimiter:
        return SlidingWindowLimiter(rate, window=window, clock=self._clock, sleep=self._sleep)

    def pacer(self, scope: str, rate: float, burst: int) -> GcraPacer:
        return GcraPacer(rate, burst, clock=self._clock, sleep=self._sleep)

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
