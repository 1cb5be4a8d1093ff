"""Shared fixtures: databases and Redis for every test package.

PostgreSQL and Redis come from TERRAPRO_TEST_POSTGRES_URL / TERRAPRO_TEST_REDIS_URL.
If a server is unreachable the tests needing it are skipped locally, but FAIL
when CI is set: a CI run must never go green by skipping them.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from bot.core.pump import QueuePump
from bot.storage.base import Base
from bot.storage.database import Database
from bot.storage.queue import DurableQueue, InboxItem

POSTGRES_URL = os.environ.get(
    "TERRAPRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TERRAPRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _unavailable(what: str, reason: object) -> None:
    message = f"{what} unreachable ({reason})"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{message}: CI is set, so this is an error, not a skip", pytrace=False)
    pytest.skip(f"{message}; set CI=true to make this fail")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Anything that uses the servers carries the marker, so `-m "not postgres"` works.
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "postgres_db" in names:
            item.add_marker(pytest.mark.postgres)
        if names & {"redis_client", "async_redis_client"}:
            item.add_marker(pytest.mark.redis)


@pytest.fixture(scope="session")
def _postgres_reachable() -> str | None:
    """None if reachable, else the reason (checked once per session)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        return None
    except Exception as exc:  # any driver/network error means "not available"
        return type(exc).__name__
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'terrapro.sqlite3'}")
    db.create_schema()
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(_postgres_reachable: str | None) -> Iterator[Database]:
    """A fresh PostgreSQL schema for this test, dropped afterwards."""
    if _postgres_reachable is not None:
        _unavailable(f"PostgreSQL at {_hide_password(POSTGRES_URL)}", _postgres_reachable)
    db = Database.from_url(POSTGRES_URL, schema=f"t_{uuid.uuid4().hex[:16]}")
    db.create_schema()
    try:
        yield db
    finally:
        db.drop_schema()
        db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The local Redis (db 15 by default), flushed before and after."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        _unavailable(f"Redis at {_hide_password(REDIS_URL)}", type(exc).__name__)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
async def async_redis_client() -> AsyncIterator[redis.asyncio.Redis]:
    """asyncio client on the same Redis database, flushed before and after."""
    client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True, socket_connect_timeout=3)
    try:
        await client.ping()
    except redis.RedisError as exc:
        await client.aclose()
        _unavailable(f"Redis at {_hide_password(REDIS_URL)}", type(exc).__name__)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def inbox_queue(tmp_path: Path) -> Iterator[DurableQueue]:
    """The real durable inbox on its own SQLite file."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    Base.metadata.create_all(db.engine, tables=[InboxItem.__table__])
    yield DurableQueue(db, InboxItem)
    db.dispose()


@pytest.fixture
async def inbox(inbox_queue: DurableQueue) -> AsyncIterator[QueuePump]:
    """A running inbox pump (channels register their handlers on it)."""
    from datetime import timedelta

    pump = QueuePump(inbox_queue, idle_poll=0.02, retry_delay=timedelta(milliseconds=10))
    pump.start()
    yield pump
    await pump.stop()
