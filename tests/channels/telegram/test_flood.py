from __future__ import annotations

from bot.channels.ratelimit import GcraPacer
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.outbound import Lane


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def _send_times(limiter: GcraPacer, clock: Clock, keys: list[object]) -> list[float]:
    times = []
    for key in keys:
        await limiter.acquire(key)
        times.append(round(clock.now, 3))
    return times


async def test_burst_then_one_per_second_per_chat():
    clock = Clock()
    limiter = GcraPacer(1.0, 3, clock=clock, sleep=clock.sleep)
    times = await _send_times(limiter, clock, ["a"] * 6)
    assert [round(t, 1) for t in times] == [0, 0, 0, 1, 2, 3]


async def test_global_rate_caps_many_chats_at_30_per_second_even_if_configured_higher():
    clock = Clock()
    limiter = TelegramRateLimiter(100.0, clock=clock, sleep=clock.sleep)
    times = []

    async def send() -> bool:
        times.append(round(clock.now, 3))
        return True

    for chat in range(90):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, Lane.BULK)
    # Evenly spaced at 30/s: the 90th send is 89/30 s after the first.
    assert abs(times[89] - 89 / 30) < 0.01
    for i in range(len(times)):
        later = [t for t in times if times[i] <= t < times[i] + 1.0]
        assert len(later) <= 31


async def test_idle_chats_are_forgotten():
    clock = Clock()
    limiter = GcraPacer(clock=clock, sleep=clock.sleep, max_tracked_keys=10)
    await _send_times(limiter, clock, list(range(20)))
    clock.now += 60
    await limiter.acquire("fresh")
    assert len(limiter._gcra._tat) <= 2


async def test_calls_without_a_chat_are_not_paced():
    clock = Clock()
    limiter = TelegramRateLimiter(1.0, clock=clock, sleep=clock.sleep)

    async def call() -> bool:
        return True

    for _ in range(10):
        await limiter.process_request(call, (), {}, "getUpdates", {}, None)
        await limiter.process_request(call, (), {}, "sendChatAction", {"chat_id": 5}, None)
    assert clock.slept == []
