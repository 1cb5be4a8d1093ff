"""The shared key store: SQL (SQLite, PostgreSQL) and Redis; two instances see each other's keys."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import redis

from bot.storage.shared_keys import RedisSharedKeyStore, SqlSharedKeyStore
from tests.conftest import REDIS_URL


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=[
    "sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("redis", marks=pytest.mark.redis),
])
def two_stores(request):
    """Two store objects on the same backend: two processes."""
    if request.param != "redis":
        db = request.getfixturevalue(f"{request.param}_db")
        return SqlSharedKeyStore(db), SqlSharedKeyStore(db)
    request.getfixturevalue("redis_client")  # skips/fails like every Redis test, and flushes
    return (RedisSharedKeyStore(redis.Redis.from_url(REDIS_URL, decode_responses=True)),
            RedisSharedKeyStore(redis.Redis.from_url(REDIS_URL, decode_responses=True)))


def test_a_key_written_by_one_process_is_read_by_the_other(two_stores):
    a, b = two_stores
    a.put("telegram:callback", "k1", '["/search", "Solaire"]')
    assert b.get("telegram:callback", "k1") == '["/search", "Solaire"]'
    b.put("telegram:callback", "k1", "replaced")
    assert a.get("telegram:callback", "k1") == "replaced"
    assert a.get("whatsapp:button", "k1") is None  # namespaces do not mix
    b.delete("telegram:callback", "k1")
    assert a.get("telegram:callback", "k1") is None


async def test_shared_map_async_access(two_stores):
    a, b = two_stores
    blocked_here, blocked_there = a.map("telegram:blocked"), b.map("telegram:blocked")
    await blocked_here.aput("8001", "1")
    assert await blocked_there.aget("8001") == "1"
    await blocked_there.adelete("8001")
    assert await blocked_here.aget("8001") is None


def test_sql_entries_expire(db):
    clock = Clock()
    store = SqlSharedKeyStore(db, clock=clock)
    store.put("broadcast:draft", "1", "{}", ttl=timedelta(hours=1))
    store.put("broadcast:draft", "2", "{}")
    clock.now += timedelta(hours=2)
    assert store.get("broadcast:draft", "1") is None
    assert store.get("broadcast:draft", "2") == "{}"
    store.put("broadcast:draft", "3", "{}", ttl=timedelta(minutes=1))
    clock.now += timedelta(minutes=2)
    assert store.purge_expired() == 1
    assert store.count("broadcast:draft") == 1


def test_redis_entries_carry_a_ttl(redis_client):
    store = RedisSharedKeyStore(redis_client)
    store.put("broadcast:draft", "1", "{}", ttl=timedelta(hours=1))
    assert 3500 < redis_client.ttl("terrapro:shared:broadcast:draft:1") <= 3600
