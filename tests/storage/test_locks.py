from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from bot.storage.locks import InProcessUserLocks, RedisUserLocks, UserLockUnavailable
from bot.storage.redis_client import connect_async


async def _record_order(locks, key, events, name, hold_for=0.02):
    async with locks.hold(key):
        events.append(f"{name}:in")
        await asyncio.sleep(hold_for)
        events.append(f"{name}:out")


def _never_interleaved(events):
    # Each "in" must be directly followed by its own "out".
    return all(
        events[i].split(":")[0] == events[i + 1].split(":")[0] for i in range(0, len(events), 2)
    )


async def test_in_process_lock_serialises_one_key_and_cleans_up():
    locks = InProcessUserLocks()
    events: list[str] = []
    await asyncio.gather(*(_record_order(locks, "telegram:1", events, f"m{i}") for i in range(5)))
    assert len(events) == 10
    assert _never_interleaved(events)
    assert len(locks) == 0


async def test_in_process_lock_lets_other_keys_run_in_parallel():
    locks = InProcessUserLocks()
    events: list[str] = []
    await asyncio.gather(
        _record_order(locks, "telegram:1", events, "a", 0.05),
        _record_order(locks, "telegram:2", events, "b", 0.05),
    )
    assert events[:2] == ["a:in", "b:in"]


async def test_in_process_lock_released_on_error():
    locks = InProcessUserLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("handler failed")
    async with locks.hold("k"):
        pass
    assert len(locks) == 0


async def test_redis_locks_serialise_across_clients(async_redis_client):
    # Two lock objects on two clients stand for two worker processes.
    other_client = connect_async(_url(async_redis_client))
    try:
        worker_a = RedisUserLocks(async_redis_client, timeout=5)
        worker_b = RedisUserLocks(other_client, timeout=5)
        events: list[str] = []
        await asyncio.gather(
            *(
                _record_order(worker_a if i % 2 else worker_b, "whatsapp:221", events, f"m{i}")
                for i in range(6)
            )
        )
        assert len(events) == 12
        assert _never_interleaved(events)
        assert await async_redis_client.keys("terrapro:lock:*") == []
    finally:
        await other_client.aclose()


async def test_redis_lock_expired_before_release_does_not_crash(async_redis_client, caplog):
    locks = RedisUserLocks(async_redis_client, timeout=0.1)
    async with locks.hold("slow"):
        await asyncio.sleep(0.3)
    assert "expired before release" in caplog.text
    async with locks.hold("slow"):
        pass


async def test_redis_down_fails_instead_of_pretending():
    dead = connect_async("redis://127.0.0.1:1/0")
    try:
        locks = RedisUserLocks(dead, timeout=5, blocking_timeout=1)
        with pytest.raises(UserLockUnavailable):
            async with locks.hold("k"):
                pytest.fail("the section ran without the lock")
    finally:
        await dead.aclose()


async def test_exhausted_pool_waits_for_a_connection_and_keeps_order(async_redis_client):
    # One connection per "process": concurrent holders hit MaxConnectionsError and must wait.
    url = _url(async_redis_client)
    tiny_a = redis.asyncio.Redis.from_url(url, max_connections=1)
    tiny_b = redis.asyncio.Redis.from_url(url, max_connections=1)
    try:
        workers = [RedisUserLocks(c, timeout=5, blocking_timeout=10) for c in (tiny_a, tiny_b)]
        events: list[str] = []
        await asyncio.gather(*(_record_order(workers[i % 2], "k", events, f"m{i}", 0.005) for i in range(8)))
        assert len(events) == 16
        assert _never_interleaved(events)
    finally:
        await tiny_a.aclose()
        await tiny_b.aclose()


async def test_lock_held_past_the_wait_limit_fails(async_redis_client):
    holder = RedisUserLocks(async_redis_client, timeout=5)
    waiter = RedisUserLocks(async_redis_client, timeout=5, blocking_timeout=0.3)
    async with holder.hold("busy"):
        with pytest.raises(UserLockUnavailable):
            async with waiter.hold("busy"):
                pytest.fail("entered a section another worker holds")


def _url(client) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://{kw['host']}:{kw['port']}/{kw.get('db', 0)}"
