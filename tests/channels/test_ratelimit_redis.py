"""Rate limits shared through the real Redis: two ``RedisRateLimits`` on two clients, as two
processes would have them, against one Redis database. Real time, small windows."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import socket
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from bot.channels.ratelimit import InProcessRateLimits, RateLimits, SendLimiter
from bot.channels.ratelimit_redis import FINISH_FLUSH, RateLimiterUnavailable, RedisRateLimits
from bot.core.outbound import Lane
from bot.storage.redis_client import connect_async
from tests.conftest import REDIS_URL
from tests.fakes.tcp_proxy import TcpProxy

SCOPE = "test:bot"
LOGGER = "bot.channels.ratelimit_redis"


def key_of(chat: str) -> str:
    return hashlib.sha256(b"test-key:" + chat.encode()).hexdigest()[:16]


@pytest.fixture
async def two_processes(async_redis_client) -> AsyncIterator[tuple[RedisRateLimits, RedisRateLimits]]:
    """Process A uses the fixture's client, process B its own connection pool."""
    other = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    yield (RedisRateLimits(async_redis_client, key_of=key_of), RedisRateLimits(other, key_of=key_of))
    await other.aclose()


def most_in_any_window(sends: list[tuple[float, float]], window: float) -> int:
    """A send reached the platform somewhere between its start and its finish; the worst window
    [t, t + window) counts every send whose interval meets it, and is worst for t = some finish.
    (2 ms off the window: the Redis clock and this one may drift that much, never more here.)"""
    return max(
        sum(1 for start, finish in sends if finish >= t and start < t + window - 0.002) for _, t in sends
    )


async def _send(limiter: SendLimiter, lane: Lane, latency: float, sends: list[tuple[float, float]]) -> None:
    slot = await limiter.acquire(lane)
    start = time.monotonic()
    await asyncio.sleep(latency)  # the request to the platform
    sends.append((start, time.monotonic()))
    await slot.done()


async def _two_processes_sending(a: RateLimits, b: RateLimits) -> tuple[list[tuple[float, float]], float]:
    rng = random.Random(7)
    window_a, window_b = a.window(SCOPE, 40, window=0.25), b.window(SCOPE, 40, window=0.25)  # 10 per 0.25 s
    sends: list[tuple[float, float]] = []
    jobs = [_send(window_a, Lane.BULK, rng.uniform(0, 0.03), sends) for _ in range(40)]
    jobs += [_send(window_b, rng.choice(list(Lane)), rng.uniform(0, 0.03), sends) for _ in range(40)]
    started = time.monotonic()
    await asyncio.gather(*jobs)
    return sends, time.monotonic() - started


async def test_two_processes_never_exceed_the_rate_in_any_window(two_processes):
    sends, elapsed = await _two_processes_sending(*two_processes)
    assert len(sends) == 80
    assert most_in_any_window(sends, 0.25) <= 10
    # 80 sends at 10 per 0.25 s need 1.75 s at least; the shared budget is used, not wasted.
    assert 1.7 < elapsed < 3.5


async def test_without_redis_two_processes_would_add_up():
    """What the shared limits fix: one limiter per process, the platform sees both rates."""
    sends, _ = await _two_processes_sending(InProcessRateLimits(), InProcessRateLimits())
    assert most_in_any_window(sends, 0.25) > 10


async def test_priority_in_one_process_goes_before_bulk_waiting_in_another(two_processes):
    a, b = two_processes
    window_a, window_b = a.window(SCOPE, 4, window=0.25), b.window(SCOPE, 4, window=0.25)  # 1 per 0.25 s
    await (await window_b.acquire(Lane.PRIORITY)).done()  # B's send fills the window
    order: list[str] = []

    async def take(limiter: SendLimiter, lane: Lane, name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        slot = await limiter.acquire(lane)
        order.append(name)
        await slot.done()

    # B's broadcasts wait first; A's replies come while they wait, and win each freed slot.
    await asyncio.gather(
        *(take(window_b, Lane.BULK, "broadcast", 0.0) for _ in range(2)),
        *(take(window_a, Lane.PRIORITY, "reply", 0.1) for _ in range(3)),
    )
    assert order == ["reply"] * 3 + ["broadcast"] * 2


async def test_a_crashed_priority_waiter_holds_broadcasts_back_only_briefly(async_redis_client):
    other = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    a = RedisRateLimits(async_redis_client, key_of=key_of, waiter_ttl=0.4)
    b = RedisRateLimits(other, key_of=key_of, waiter_ttl=0.4)
    window_a, window_b = a.window(SCOPE, 5, window=0.2), b.window(SCOPE, 5, window=0.2)  # 1 per 0.2 s
    await (await window_a.acquire(Lane.PRIORITY)).done()
    waiting = asyncio.create_task(window_a.acquire(Lane.PRIORITY))
    await asyncio.sleep(0.05)
    waiting.cancel()  # process A dies while its reply waits: its entry stays behind
    started = time.monotonic()
    await (await window_b.acquire(Lane.BULK)).done()
    # Held back by the dead entry (not only by the window), then free.
    assert 0.3 < time.monotonic() - started < 1.0
    await other.aclose()


async def test_a_slot_held_by_a_crashed_process_frees_when_its_lease_ends(async_redis_client):
    other = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    a = RedisRateLimits(async_redis_client, key_of=key_of, lease=0.5)
    b = RedisRateLimits(other, key_of=key_of, lease=0.5)
    await a.window(SCOPE, 10, window=0.1).acquire(Lane.PRIORITY)  # sent, never finished: A died
    started = time.monotonic()
    await (await b.window(SCOPE, 10, window=0.1).acquire(Lane.PRIORITY)).done()
    assert 0.4 < time.monotonic() - started < 1.0
    await other.aclose()


async def test_per_chat_pacing_is_shared(two_processes, async_redis_client):
    a, b = two_processes
    pacers = [a.pacer(SCOPE, 10, 2), b.pacer(SCOPE, 10, 2)]  # 2 at once, then one per 0.1 s
    started = time.monotonic()
    times = []
    for i in range(6):
        await pacers[i % 2].acquire("123456789")
        times.append(time.monotonic() - started)
    expected = [0.0, 0.0, 0.1, 0.2, 0.3, 0.4]
    assert all(abs(t - e) < 0.04 for t, e in zip(times, expected, strict=True)), times
    other_chat = time.monotonic()
    await pacers[1].acquire("987654321")  # another chat is not held back
    assert time.monotonic() - other_chat < 0.05
    keys = await async_redis_client.keys("*")
    assert keys and not any("123456789" in key or "987654321" in key for key in keys)


async def test_a_429_pause_is_seen_by_the_other_process(two_processes):
    a, b = two_processes
    window_a, window_b = a.window(SCOPE, 20), b.window(SCOPE, 20)
    await window_a.pause(0.4)
    assert 0.3 < await window_b.paused_for() <= 0.4
    started = time.monotonic()
    await (await window_b.acquire(Lane.PRIORITY)).done()  # a reply still goes
    assert time.monotonic() - started < 0.1
    await (await window_b.acquire(Lane.BULK)).done()  # a broadcast waits out the pause
    assert 0.3 < time.monotonic() - started < 0.7
    await window_a.pause(1.0)
    await window_b.pause(0.1)  # a shorter pause never shortens a longer one
    assert await window_a.paused_for() > 0.9


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_redis_down_the_send_waits_and_never_goes_unpaced(caplog):
    url = f"redis://:s3cret@127.0.0.1:{_free_port()}/0"  # nothing listens there
    limits = RedisRateLimits(connect_async(url), key_of=key_of, max_backoff=0.2)
    limiter = limits.window(SCOPE, 20)
    sent: list[Lane] = []

    async def send(lane: Lane) -> None:
        slot = await limiter.acquire(lane)
        sent.append(lane)
        await slot.done()

    caplog.set_level(logging.WARNING, logger=LOGGER)
    sends = [asyncio.create_task(send(lane)) for lane in (Lane.PRIORITY, Lane.BULK, Lane.PRIORITY)]
    done, _ = await asyncio.wait(sends, timeout=0.8)
    assert not done and sent == []
    outage = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert outage and "ConnectionError" in outage[0]
    assert len(outage) == 1  # once per outage (then once a minute), not once per retry
    assert not any("s3cret" in m or "127.0.0.1" in m for m in outage)
    # Shutting down: the waits give up at once, still without sending.
    limits.close()
    started = time.monotonic()
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert time.monotonic() - started < 0.5
    assert all(isinstance(r, RateLimiterUnavailable) for r in results) and sent == []
    await limits.aclose()


async def test_redis_lost_then_back_the_sends_wait_then_resume(async_redis_client, caplog):
    server = async_redis_client.connection_pool.connection_kwargs  # the test Redis, behind a relay
    db = server.get("db", 0)
    proxy = await TcpProxy(server.get("host", "127.0.0.1"), int(server.get("port", 6379))).start()
    limits = RedisRateLimits(connect_async(f"redis://127.0.0.1:{proxy.port}/{db}"), key_of=key_of, max_backoff=0.2)
    limiter = limits.window(SCOPE, 20)
    await (await limiter.acquire(Lane.PRIORITY)).done()
    caplog.set_level(logging.WARNING, logger=LOGGER)
    proxy.cut()
    waiting = asyncio.create_task(limiter.acquire(Lane.PRIORITY))
    await asyncio.sleep(0.6)
    assert not waiting.done()
    proxy.restore()
    slot = await asyncio.wait_for(waiting, timeout=2.0)
    await slot.done()
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert "unreachable" in messages[0] and "reachable again" in messages[-1]
    # The slot it got is in the shared window, as any other.
    assert await async_redis_client.zcard(f"terrapro:rate:{{{SCOPE}}}:slots") == 2
    await limits.aclose()
    await proxy.aclose()


async def test_close_does_not_stop_sends_while_redis_answers(two_processes):
    a, _ = two_processes
    a.close()
    await (await a.window(SCOPE, 20).acquire(Lane.BULK)).done()
    await a.pacer(SCOPE, 1, 1).acquire("42")


async def test_a_cancelled_slot_gives_its_place_back(two_processes):
    a, b = two_processes
    window_a, window_b = a.window(SCOPE, 4, window=0.5), b.window(SCOPE, 4, window=0.5)
    started = time.monotonic()
    for _ in range(6):
        await (await window_a.acquire(Lane.PRIORITY)).cancel()  # nothing was sent
    await (await window_b.acquire(Lane.PRIORITY)).done()
    assert time.monotonic() - started < 0.2


async def test_a_finished_send_is_rescored_by_the_next_acquire_or_soon_after(two_processes, async_redis_client):
    """One script call per send: the slot of a finished send is rescored (finish + window) by the
    process's next acquire; with no send after it, by a call of its own within FINISH_FLUSH."""
    a, _ = two_processes
    limiter = a.window(SCOPE, 10, window=0.5)
    key = f"terrapro:rate:{{{SCOPE}}}:slots"

    async def ahead() -> list[float]:  # seconds until each slot frees, by Redis's clock
        seconds, micros = await async_redis_client.time()
        now = seconds + micros / 1e6
        return sorted(score - now for _, score in await async_redis_client.zrange(key, 0, -1, withscores=True))

    await (await limiter.acquire(Lane.PRIORITY)).done()
    assert (await ahead())[0] > 20  # still in flight as far as Redis knows: no call of its own yet
    second = await limiter.acquire(Lane.PRIORITY)
    first_frees, second_frees = await ahead()
    assert 0.4 < first_frees <= 0.5 and second_frees > 20  # the acquire carried the first one's end
    await second.done()
    await asyncio.sleep(FINISH_FLUSH + 0.05)
    assert all(0.3 < s <= 0.5 for s in await ahead())
