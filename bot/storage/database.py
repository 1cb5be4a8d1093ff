"""One ``Database`` object per process: engine, schema creation, sessions.

Works the same on SQLite (default, a file in the data dir) and PostgreSQL
(psycopg 3). Built once by the composition root and passed to repositories.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.identity import IdentityProtector
from bot.storage.unit_of_work import current_connection, current_session

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Connections kept open per process on PostgreSQL, and allowed beyond that at a peak
# (two serve processes and a worker stay well under the server's default 100).
POSTGRES_POOL_SIZE = 16
POSTGRES_POOL_OVERFLOW = 8
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Database:
    """``identity`` protects platform ids at rest; without one, a random key for this
    process only (tests): ids written then cannot be read by another process."""

    def __init__(
        self, engine: Engine, schema: str | None = None, identity: IdentityProtector | None = None
    ) -> None:
        self.engine = engine
        self.schema = schema
        self.identity = identity or IdentityProtector.ephemeral()
        # expire_on_commit=False: records are built from objects after commit.
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        # SQLite has one writer at a time and every transaction here is a write one
        # (BEGIN IMMEDIATE). Its own busy handler makes a waiting thread sleep and retry
        # (up to 100 ms at a time), so under load the lock sat free while threads slept.
        # The process's threads queue on this lock instead and start as soon as it is free.
        self._writer = threading.RLock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the process's SQLite write turn for a transaction (nothing on PostgreSQL)."""
        if self._writer is None:
            yield
            return
        if not self._writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise TimeoutError("database busy")
        try:
            yield
        finally:
            self._writer.release()

    @classmethod
    def from_url(
        cls, url: str, *, schema: str | None = None, echo: bool = False,
        identity: IdentityProtector | None = None,
    ) -> Database:
        """Build the engine for ``url``.

        ``schema`` (PostgreSQL only) puts every table in that schema through the
        connection's search_path: tests use one throw-away schema each.
        """
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            if schema is not None:
                raise ValueError("schema is only supported on PostgreSQL")
            return cls(_sqlite_engine(url, echo=echo), identity=identity)
        if backend == "postgresql":
            connect_args: dict[str, Any] = {}
            if schema is not None:
                if not _SCHEMA_NAME.match(schema):
                    raise ValueError(f"invalid schema name: {schema!r}")
                connect_args["options"] = f"-csearch_path={schema}"
            # No pre-ping: it was one more round trip (and ~0.3 ms of CPU) for each of the
            # several transactions a message costs. A connection the server dropped fails
            # its first statement instead; SQLAlchemy then discards the pool's connections,
            # and the work is retried (``connection_lost``: the queue row goes back).
            # A pool as large as the threads that may hold a connection at once (turn workers,
            # asyncio.to_thread's executor, background workers): with SQLAlchemy's default of 5,
            # every connection past the fifth was opened and closed again for each use — a new
            # PostgreSQL backend per transaction under load, a third of the machine's CPU.
            engine = create_engine(
                url, pool_pre_ping=False, pool_recycle=1800, echo=echo, connect_args=connect_args,
                pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_POOL_OVERFLOW,
            )
            return cls(engine, schema=schema, identity=identity)
        raise ValueError(f"unsupported database backend: {backend}")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def insert(self) -> Any:
        """This database's INSERT construct, the one with ``on_conflict_do_…`` (upserts)."""
        return pg_insert if self.dialect == "postgresql" else sqlite_insert

    def create_schema(self) -> None:
        """Tests only: tables straight from the models, stamped with the head revision.

        Applications migrate instead (``bot.storage.schema.upgrade``); a test
        (tests/storage/test_migrations.py) proves both give the same schema.
        """
        from bot.storage.schema import stamp_head, target_metadata

        self.ensure_dedicated_schema()
        with self.engine.begin() as conn:
            target_metadata().create_all(conn)
        stamp_head(self)

    def ensure_dedicated_schema(self) -> None:
        """PostgreSQL with a dedicated schema: create it if missing."""
        if self.schema is None:
            return
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))

    def drop_schema(self) -> None:
        """Drop the dedicated PostgreSQL schema and everything in it (tests)."""
        if self.schema is None:
            raise ValueError("drop_schema needs a dedicated schema")
        with self.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    def new_session(self, *, bind: Connection | None = None) -> Session:
        """``bind``: a connection already in a transaction (a unit of work's); the session works
        inside it and never commits it."""
        return self._sessions() if bind is None else self._sessions(bind=bind)

    @contextmanager
    def session(self, *, savepoint: bool = False) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error.

        Inside ``unit_of_work(db)`` (bot/storage/unit_of_work.py) it joins the turn's
        session instead: no commit here, the unit of work commits once. ``savepoint``:
        a failure inside (an expected IntegrityError) rolls back only this block, so
        the turn's transaction stays usable.
        """
        joined = current_session(self)
        if joined is not None:
            if savepoint:
                with joined.begin_nested():
                    yield joined
            else:
                yield joined
                joined.flush()
            return
        with self.writing():
            session = self._sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A transaction for Core statements only (the queues, statuses): committed on
        success. Cheaper than ``session()``, which builds an ORM session for each; inside
        a unit of work it joins the turn's transaction all the same."""
        joined = current_connection(self)
        if joined is not None:
            yield joined
            return
        with self.writing(), self.engine.begin() as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def connection_lost(exc: BaseException) -> bool:
    """The database connection broke (server restarted, network): retry, do not apologise."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: concurrent writers wait for
        # the busy timeout instead of failing with "database is locked" when a
        # read transaction later tries to write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
