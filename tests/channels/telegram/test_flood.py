from __future__ import annotations

from bot.channels.telegram.flood import FloodLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def _send_times(limiter: FloodLimiter, clock: Clock, keys: list[object]) -> list[float]:
    times = []
    for key in keys:
        await limiter.acquire(key)
        times.append(round(clock.now, 3))
    return times


async def test_burst_then_one_per_second_per_chat():
    clock = Clock()
    limiter = FloodLimiter(per_chat_rate=1.0, per_chat_burst=3, clock=clock, sleep=clock.sleep)
    times = await _send_times(limiter, clock, ["a"] * 6)
    # The burst is only spread by the global 1/30 s spacing.
    assert [round(t, 1) for t in times] == [0, 0, 0.1, 1, 2, 3]


async def test_global_rate_caps_many_chats_at_30_per_second_even_if_configured_higher():
    clock = Clock()
    limiter = FloodLimiter(global_rate=100.0, clock=clock, sleep=clock.sleep)
    times = await _send_times(limiter, clock, list(range(90)))
    # Evenly spaced at 30/s: the 90th send is 89/30 s after the first.
    assert abs(times[89] - 89 / 30) < 0.01
    for i in range(len(times)):
        later = [t for t in times if times[i] <= t < times[i] + 1.0]
        assert len(later) <= 31


async def test_idle_chats_are_forgotten():
    clock = Clock()
    limiter = FloodLimiter(clock=clock, sleep=clock.sleep, max_tracked_chats=10)
    await _send_times(limiter, clock, list(range(20)))
    clock.now += 60
    await limiter.acquire("fresh")
    assert len(limiter._per_chat._tat) <= 2
