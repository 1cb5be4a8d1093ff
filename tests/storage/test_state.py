from __future__ import annotations

import json
import logging
import time

import pytest
import redis

from bot.storage.persons import PersonRepository
from bot.storage.redis_client import connect
from bot.storage.state import RedisConversationStateStore, SqlConversationStateStore


@pytest.fixture
def person_id(db):
    return PersonRepository(db).get_or_create("telegram", "42").id


@pytest.fixture
def sql_store(db):
    return SqlConversationStateStore(db)


def test_sql_store_round_trip_and_version(sql_store, person_id):
    assert sql_store.load(person_id) == {}
    assert sql_store.version(person_id) == 0
    sql_store.save(person_id, {"slots": {"filiere": "solaire"}, "turns": 1})
    sql_store.save(person_id, {"slots": {"filiere": "couture"}, "turns": 2, "lieu": "Bignona"})
    assert sql_store.load(person_id) == {"slots": {"filiere": "couture"}, "turns": 2, "lieu": "Bignona"}
    assert sql_store.version(person_id) == 2


def test_sql_store_does_not_alias_caller_dict(sql_store, person_id):
    data = {"slots": {"filiere": "solaire"}}
    sql_store.save(person_id, data)
    data["slots"]["filiere"] = "changed"
    loaded = sql_store.load(person_id)
    loaded["slots"]["filiere"] = "changed again"
    assert sql_store.load(person_id) == {"slots": {"filiere": "solaire"}}


def test_sql_store_delete(sql_store, person_id):
    sql_store.save(person_id, {"a": 1})
    sql_store.delete(person_id)
    assert sql_store.load(person_id) == {}
    sql_store.delete(person_id)  # deleting twice is fine


def test_sql_store_rejects_non_json_state(sql_store, person_id):
    with pytest.raises(TypeError):
        sql_store.save(person_id, {"when": object()})
    with pytest.raises(TypeError):
        sql_store.save(person_id, ["not", "a", "dict"])  # type: ignore[arg-type]


# Redis-backed store ---------------------------------------------------------


@pytest.fixture
def redis_store(redis_client, sql_store):
    return RedisConversationStateStore(redis_client, sql_store, ttl_seconds=600)


def test_redis_store_writes_through_to_sql(redis_store, redis_client, sql_store, person_id):
    redis_store.save(person_id, {"step": "ask_place"})
    assert sql_store.load(person_id) == {"step": "ask_place"}
    assert json.loads(redis_client.get(f"terrapro:state:{person_id}")) == {"step": "ask_place"}
    assert 0 < redis_client.ttl(f"terrapro:state:{person_id}") <= 600
    assert redis_store.load(person_id) == {"step": "ask_place"}


def test_a_rolled_back_turn_leaves_the_cache_as_the_database_is(db, redis_store, redis_client, sql_store, person_id):
    from bot.storage.unit_of_work import unit_of_work

    redis_store.save(person_id, {"step": "before"})
    with pytest.raises(RuntimeError):
        with unit_of_work(db):
            redis_store.save(person_id, {"step": "rolled back"})
            raise RuntimeError("the turn failed after saving")
    assert sql_store.load(person_id) == {"step": "before"}
    assert redis_store.load(person_id) == {"step": "before"}
    with unit_of_work(db):
        redis_store.save(person_id, {"step": "committed"})
    assert json.loads(redis_client.get(f"terrapro:state:{person_id}")) == {"step": "committed"}


def test_redis_hit_is_served_from_redis(redis_store, redis_client, person_id):
    redis_store.save(person_id, {"step": "a"})
    # Prove the read comes from Redis: change only the cached copy.
    redis_client.set(f"terrapro:state:{person_id}", json.dumps({"step": "from-cache"}))
    assert redis_store.load(person_id) == {"step": "from-cache"}


def test_redis_flush_loses_nothing_and_rewarms(redis_store, redis_client, person_id):
    redis_store.save(person_id, {"step": "ask_filiere", "filiere": "mécanique"})
    redis_client.flushdb()
    assert redis_store.load(person_id) == {"step": "ask_filiere", "filiere": "mécanique"}
    assert json.loads(redis_client.get(f"terrapro:state:{person_id}"))["filiere"] == "mécanique"


def test_corrupt_cache_entry_falls_back_to_sql(redis_store, redis_client, person_id):
    redis_store.save(person_id, {"step": "ok"})
    redis_client.set(f"terrapro:state:{person_id}", "{not json")
    assert redis_store.load(person_id) == {"step": "ok"}


def test_redis_delete_clears_both(redis_store, redis_client, sql_store, person_id):
    redis_store.save(person_id, {"step": "x"})
    redis_store.delete(person_id)
    assert redis_client.get(f"terrapro:state:{person_id}") is None
    assert sql_store.load(person_id) == {}
    assert redis_store.load(person_id) == {}


def _dead_redis():
    # Nothing listens on port 1: every call raises ConnectionError.
    return connect("redis://127.0.0.1:1/0", check=False)


def test_redis_down_degrades_to_sql_with_one_warning(sql_store, person_id, caplog):
    store = RedisConversationStateStore(_dead_redis(), sql_store)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.storage.state"):
        store.save(person_id, {"step": "down"})
        assert store.load(person_id) == {"step": "down"}
        store.save(person_id, {"step": "still down"})
        assert store.load(person_id) == {"step": "still down"}
        store.delete(person_id)
        assert store.load(person_id) == {}
    assert store.degraded
    # Degraded mode must not make each message wait on Redis timeouts.
    assert time.monotonic() - started < 2.0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Redis" in warnings[0].getMessage()


class _FlakyRedis:
    """Wraps the real client; ``down`` makes every call fail like an outage."""

    def __init__(self, real):
        self.real = real
        self.down = False

    def __getattr__(self, name):
        if self.down:
            def fail(*args, **kwargs):
                raise redis.ConnectionError("outage")

            return fail
        return getattr(self.real, name)


def test_recovery_drops_cache_entries_older_than_sql(redis_client, sql_store, person_id):
    now = [0.0]
    flaky = _FlakyRedis(redis_client)
    store = RedisConversationStateStore(flaky, sql_store, retry_seconds=30, clock=lambda: now[0])
    store.save(person_id, {"step": "before outage"})

    flaky.down = True
    store.save(person_id, {"step": "during outage"})  # only SQL gets it
    flaky.down = False
    assert store.load(person_id) == {"step": "during outage"}  # still degraded: SQL
    assert store.degraded

    now[0] = 31.0
    # Redis is back; the stale "before outage" copy must not come back.
    assert store.load(person_id) == {"step": "during outage"}
    assert not store.degraded
    assert json.loads(redis_client.get(f"terrapro:state:{person_id}")) == {"step": "during outage"}
