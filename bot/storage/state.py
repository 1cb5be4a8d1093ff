"""Conversation state per person: SQL is the truth, Redis an optional hot copy."""
from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Integer, bindparam, delete, select

from bot.storage.base import UtcDateTime, utcnow
from bot.storage.database import Database
from bot.storage.models import ConversationState
from bot.storage.unit_of_work import after_commit

log = logging.getLogger(__name__)


def _check_serialisable(data: dict[str, Any]) -> str:
    if not isinstance(data, dict):
        raise TypeError("conversation state must be a dict")
    try:
        return json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"conversation state is not JSON-serialisable: {exc}") from exc


class ConversationStateStore(ABC):
    @abstractmethod
    def load(self, person_id: int) -> dict[str, Any]:
        """The saved state, or {} for a new conversation."""

    @abstractmethod
    def save(self, person_id: int, data: dict[str, Any]) -> None: ...

    @abstractmethod
    def delete(self, person_id: int) -> None: ...


class SqlConversationStateStore(ConversationStateStore):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = _state_upsert(db.insert)

    def load(self, person_id: int) -> dict[str, Any]:
        with self._db.connection() as connection:
            data = connection.execute(_LOAD, {"person_id": person_id}).scalar()
        return dict(data) if data else {}

    def save(self, person_id: int, data: dict[str, Any]) -> None:
        # Round-trip through JSON so the stored value never aliases the caller's dict.
        stored = json.loads(_check_serialisable(data))
        # One statement instead of a SELECT then an INSERT or UPDATE, every turn.
        with self._db.connection() as connection:
            connection.execute(self._upsert, dict(person_id=person_id, data=stored, at=utcnow()))

    def version(self, person_id: int) -> int:
        """How many times the state was saved (0: never)."""
        with self._db.session() as session:
            row = session.get(ConversationState, person_id)
            return row.version if row is not None else 0

    def delete(self, person_id: int) -> None:
        with self._db.session() as session:
            session.execute(delete(ConversationState).where(ConversationState.person_id == person_id))


_LOAD = select(ConversationState.__table__.c.data).where(
    ConversationState.__table__.c.person_id == bindparam("person_id")
)


def _state_upsert(insert: Any) -> Any:
    """Save a person's state whether or not they have one yet (built once: every turn runs it)."""
    t = ConversationState.__table__
    statement = insert(t).values(
        person_id=bindparam("person_id", type_=Integer()), data=bindparam("data", type_=t.c.data.type), version=1,
        updated_at=bindparam("at", type_=UtcDateTime()),
    )
    return statement.on_conflict_do_update(
        index_elements=[t.c.person_id],
        set_={"data": statement.excluded.data, "version": t.c.version + 1, "updated_at": statement.excluded.updated_at},
    )


class RedisConversationStateStore(ConversationStateStore):
    """Hot state in Redis, written through to SQL so a restart or a Redis flush
    loses nothing. Any Redis failure degrades to SQL with a warning.

    While degraded, Redis is retried every ``retry_seconds``; on recovery the
    cached copies are dropped, since saves made during the outage only reached SQL.
    """

    def __init__(
        self,
        redis_client: Redis,
        durable: SqlConversationStateStore,
        ttl_seconds: int = 6 * 3600,
        *,
        key_prefix: str = "terrapro:state:",
        retry_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis_client
        self._durable = durable
        self._ttl = ttl_seconds
        self._prefix = key_prefix
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._degraded_since: float | None = None

    @property
    def degraded(self) -> bool:
        return self._degraded_since is not None

    def _key(self, person_id: int) -> str:
        return f"{self._prefix}{int(person_id)}"

    def load(self, person_id: int) -> dict[str, Any]:
        if self._usable():
            try:
                cached = self._redis.get(self._key(person_id))
            except RedisError as exc:
                self._degrade(exc)
            else:
                value = _decode(cached)
                if value is not None:
                    return value
                data = self._durable.load(person_id)
                self._warm(person_id, _check_serialisable(data))
                return data
        return self._durable.load(person_id)

    def save(self, person_id: int, data: dict[str, Any]) -> None:
        encoded = _check_serialisable(data)
        self._durable.save(person_id, data)
        # Only once the turn's transaction has committed: a turn rolled back must not
        # leave its state in the cache (the next message would build on it).
        after_commit(lambda: self._usable() and self._warm(person_id, encoded))

    def delete(self, person_id: int) -> None:
        self._durable.delete(person_id)
        after_commit(lambda: self._usable() and self._forget(person_id))

    def _forget(self, person_id: int) -> None:
        try:
            self._redis.delete(self._key(person_id))
        except RedisError as exc:
            self._degrade(exc)

    def _warm(self, person_id: int, encoded: str) -> None:
        try:
            self._redis.set(self._key(person_id), encoded, ex=self._ttl)
        except RedisError as exc:
            self._degrade(exc)

    def _usable(self) -> bool:
        if self._degraded_since is None:
            return True
        if self._clock() - self._degraded_since < self._retry_seconds:
            return False
        try:
            # Copies cached before the outage may be older than SQL now.
            for key in self._redis.scan_iter(match=f"{self._prefix}*", count=500):
                self._redis.delete(key)
        except RedisError:
            self._degraded_since = self._clock()
            return False
        log.info("Redis reachable again, conversation state cache back on")
        self._degraded_since = None
        return True

    def _degrade(self, exc: RedisError) -> None:
        if self._degraded_since is None:
            log.warning(
                "Redis unavailable (%s), conversation state served from SQL", type(exc).__name__
            )
        self._degraded_since = self._clock()


def _decode(cached: Any) -> dict[str, Any] | None:
    if cached is None:
        return None
    try:
        value = json.loads(cached)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
