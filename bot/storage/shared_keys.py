"""Small pieces of state every process must see: a key -> value store with expiry.

Used for what used to live in one process's memory: long button payloads behind a
short key (Telegram callback data, WhatsApp button ids), chats that blocked the bot,
an admin's /diffuser draft. Two implementations: a table (SQLite, PostgreSQL) and
Redis (when ``TERRAPRO_REDIS_URL`` is set). Each namespace is a ``SharedMap`` view.
Values are short strings; never message text of a young person.
"""
from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from sqlalchemy import String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utcnow
from bot.storage.database import Database


class SharedEntry(Base):
    __tablename__ = "shared_entries"

    namespace: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class SharedKeyStore(ABC):
    """Synchronous; async callers go through ``SharedMap``, which runs it off the event loop."""

    @abstractmethod
    def get(self, namespace: str, key: str) -> str | None: ...

    @abstractmethod
    def put(self, namespace: str, key: str, value: str, ttl: timedelta | None = None) -> None: ...

    @abstractmethod
    def delete(self, namespace: str, key: str) -> None: ...

    def map(self, namespace: str, ttl: timedelta | None = None) -> SharedMap:
        return SharedMap(self, namespace, ttl)


class SqlSharedKeyStore(SharedKeyStore):
    def __init__(self, db: Database, *, clock=utcnow) -> None:
        self._db = db
        self._clock = clock

    def get(self, namespace: str, key: str) -> str | None:
        with self._db.session() as session:
            row = session.get(SharedEntry, (namespace, key))
            if row is None:
                return None
            if row.expires_at is not None and row.expires_at <= self._clock():
                session.delete(row)
                return None
            return row.value

    def put(self, namespace: str, key: str, value: str, ttl: timedelta | None = None) -> None:
        now = self._clock()
        expires = now + ttl if ttl is not None else None
        statement = self._db.insert(SharedEntry).values(namespace=namespace, key=key, value=value, expires_at=expires)
        statement = statement.on_conflict_do_update(
            index_elements=[SharedEntry.namespace, SharedEntry.key],
            set_={"value": value, "expires_at": expires},
        )
        with self._db.session() as session:
            session.execute(statement)

    def delete(self, namespace: str, key: str) -> None:
        with self._db.session() as session:
            session.execute(delete(SharedEntry).where(SharedEntry.namespace == namespace, SharedEntry.key == key))

    def purge_expired(self) -> int:
        with self._db.session() as session:
            result = session.execute(delete(SharedEntry).where(SharedEntry.expires_at <= self._clock()))
            return result.rowcount or 0

    def count(self, namespace: str) -> int:
        with self._db.session() as session:
            return len(session.scalars(select(SharedEntry.key).where(SharedEntry.namespace == namespace)).all())


class RedisSharedKeyStore(SharedKeyStore):
    """``client``: a sync redis client with decode_responses=True."""

    def __init__(self, client, prefix: str = "terrapro:shared:") -> None:
        self._client = client
        self._prefix = prefix

    def _name(self, namespace: str, key: str) -> str:
        return f"{self._prefix}{namespace}:{key}"

    def get(self, namespace: str, key: str) -> str | None:
        return self._client.get(self._name(namespace, key))

    def put(self, namespace: str, key: str, value: str, ttl: timedelta | None = None) -> None:
        seconds = max(1, int(ttl.total_seconds())) if ttl is not None else None
        self._client.set(self._name(namespace, key), value, ex=seconds)

    def delete(self, namespace: str, key: str) -> None:
        self._client.delete(self._name(namespace, key))


class SharedMap:
    """One namespace of a store, with a default expiry; sync and async (off the loop) access."""

    def __init__(self, store: SharedKeyStore, namespace: str, ttl: timedelta | None) -> None:
        self._store = store
        self._namespace = namespace
        self._ttl = ttl

    def get(self, key: str) -> str | None:
        return self._store.get(self._namespace, key)

    def put(self, key: str, value: str) -> None:
        self._store.put(self._namespace, key, value, self._ttl)

    def delete(self, key: str) -> None:
        self._store.delete(self._namespace, key)

    async def aget(self, key: str) -> str | None:
        return await asyncio.to_thread(self.get, key)

    async def aput(self, key: str, value: str) -> None:
        await asyncio.to_thread(self.put, key, value)

    async def adelete(self, key: str) -> None:
        await asyncio.to_thread(self.delete, key)
