from __future__ import annotations

import pytest

from bot.core.errors import ServiceUnavailable, http_status_for
from bot.storage.redis_client import RedisUnavailable, connect, connect_async, ping_async, safe_url


def test_connect_unreachable_gives_a_clear_error_without_password():
    with pytest.raises(RedisUnavailable) as info:
        connect("redis://:s3cret@127.0.0.1:1/0")
    message = str(info.value)
    assert "Redis unreachable at redis://:***@127.0.0.1:1/0" in message
    assert "s3cret" not in message
    assert isinstance(info.value, ServiceUnavailable)
    assert http_status_for(info.value) == 503


def test_connect_rejects_bad_url():
    with pytest.raises(RedisUnavailable):
        connect("http://not-redis")


async def test_connect_async_is_lazy_and_ping_async_reports_unreachable():
    client = connect_async("redis://127.0.0.1:1/0")  # no event loop work yet
    try:
        with pytest.raises(RedisUnavailable):
            await ping_async(client, "redis://127.0.0.1:1/0")
    finally:
        await client.aclose()


async def test_connect_async_reaches_a_live_redis(redis_client):
    kw = redis_client.connection_pool.connection_kwargs
    url = f"redis://{kw['host']}:{kw['port']}/{kw['db']}"
    client = connect_async(url)
    try:
        await ping_async(client, url)
        await client.set("k", "v")
        assert await client.get("k") == "v"
    finally:
        await client.aclose()


def test_connect_works_and_decodes(redis_client):
    kw = redis_client.connection_pool.connection_kwargs
    client = connect(f"redis://{kw['host']}:{kw['port']}/{kw['db']}")
    try:
        client.set("k", "é")
        assert client.get("k") == "é"
    finally:
        client.close()


def test_safe_url_hides_password():
    assert safe_url("redis://user:pw@host:6379/2") == "redis://user:***@host:6379/2"
