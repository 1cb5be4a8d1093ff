from __future__ import annotations

import asyncio

import pytest

from bot.channels.ratelimit import SlidingWindowLimiter
from bot.core.outbound import Lane

BULK, INTERACTIVE = Lane.BULK, Lane.PRIORITY


class VirtualTime:
    """A clock that only moves when someone sleeps: exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def _bulk_sends(limiter: SlidingWindowLimiter, n: int, times: list[float], vt: VirtualTime, latency=0.0):
    for _ in range(n):
        slot = await limiter.acquire(BULK)
        times.append(vt.now)
        vt.now += latency
        await slot.done()


async def test_no_burst_above_capacity_even_after_idle_time():
    vt = VirtualTime()
    limiter = SlidingWindowLimiter(10, clock=vt.clock, sleep=vt.sleep)
    vt.now = 100.0  # long idle: a token bucket would now allow a burst
    times: list[float] = []
    await _bulk_sends(limiter, 35, times, vt, latency=0.05)
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 1.0) <= 10
    # Evenly spaced rather than 10 at once.
    assert times[1] - times[0] == pytest.approx(0.1, abs=1e-6)


async def test_fractional_rate_rounds_down():
    assert SlidingWindowLimiter(25.9).capacity == 25
    assert SlidingWindowLimiter(0.5).capacity == 1
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0)


async def test_pause_stops_bulk_but_not_interactive():
    vt = VirtualTime()
    limiter = SlidingWindowLimiter(10, clock=vt.clock, sleep=vt.sleep)
    await limiter.pause(5.0)
    await (await limiter.acquire(INTERACTIVE)).done()
    assert vt.now == 0.0
    await (await limiter.acquire(BULK)).done()
    assert vt.now == pytest.approx(5.0)


async def test_interactive_replies_go_before_waiting_broadcasts():
    limiter = SlidingWindowLimiter(20)  # real time: 50 ms spacing
    order: list[str] = []

    async def bulk(i):
        slot = await limiter.acquire(BULK)
        order.append(f"b{i}")
        await slot.done()

    async def reply():
        await asyncio.sleep(0.12)  # a young person writes while the broadcast is queued
        slot = await limiter.acquire(INTERACTIVE)
        order.append("reply")
        await slot.done()

    await asyncio.gather(*(bulk(i) for i in range(10)), reply())
    # The reply waited for at most the broadcast already being admitted, not for the queue.
    assert order.index("reply") <= 4


async def test_cancelled_slot_gives_capacity_back():
    vt = VirtualTime()
    limiter = SlidingWindowLimiter(2, clock=vt.clock, sleep=vt.sleep)
    for _ in range(5):
        await (await limiter.acquire(BULK)).cancel()
    assert vt.now == pytest.approx(0.0)


async def test_when_the_window_is_full_the_reply_gets_the_next_free_slot():
    limiter = SlidingWindowLimiter(5)
    for _ in range(5):
        await (await limiter.acquire(INTERACTIVE)).done()  # the window is now full for 1 s
    order: list[str] = []

    async def take(lane, name, delay):
        await asyncio.sleep(delay)
        slot = await limiter.acquire(lane)
        order.append(name)
        await slot.done()

    await asyncio.gather(
        take(BULK, "b1", 0.0), take(BULK, "b2", 0.0), take(BULK, "b3", 0.0), take(INTERACTIVE, "reply", 0.3)
    )
    assert order[0] == "reply"
