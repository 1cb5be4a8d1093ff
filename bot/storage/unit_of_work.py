"""One unit of work per message turn: one connection, one transaction, one commit.

Without it a turn opened about ten transactions (get_or_create, state load, state
save, person update…), each a pool checkout (with a pre-ping on PostgreSQL) and a
commit. Inside ``unit_of_work(db)`` every ``db.connection()`` and ``db.session()`` of
the repositories joins the scope's transaction instead (an ORM session is made on
its connection only if one is asked for); the scope commits once at the end, or
rolls everything back if the turn raised. Work that must only happen once the data is committed
(telling a referent about a new ticket) registers with ``after_commit``.

The scope lives in a context variable: each asyncio task / thread has its own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bot.storage.database import Database

log = logging.getLogger(__name__)


@dataclass
class _Scope:
    db: Database
    connection: Connection
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    memo: dict[Hashable, Any] = field(default_factory=dict)
    _session: Session | None = None

    @property
    def session(self) -> Session:
        """An ORM session on the scope's connection, made the first time a repository needs
        one: most units of work only run Core statements, and a session costs about as much
        CPU as the transaction itself."""
        if self._session is None:
            self._session = self.db.new_session(bind=self.connection)
        return self._session


_current: ContextVar[_Scope | None] = ContextVar("terrapro_unit_of_work", default=None)


def _scope_of(db: Database) -> _Scope | None:
    scope = _current.get()
    return scope if scope is not None and scope.db is db else None


def in_unit_of_work(db: Database) -> bool:
    return _scope_of(db) is not None


def current_session(db: Database) -> Session | None:
    """The session of the unit of work in progress on ``db``, if any."""
    scope = _scope_of(db)
    return scope.session if scope is not None else None


def current_connection(db: Database) -> Connection | None:
    """The connection (and transaction) of the unit of work in progress on ``db``, if any.
    Core statements run on it directly; an ORM session, if one was made, flushes to it first."""
    scope = _scope_of(db)
    if scope is None:
        return None
    if scope._session is not None:
        scope._session.flush()  # what the ORM holds must be written before a Core statement runs
    return scope.connection


def memo(db: Database) -> dict[Hashable, Any] | None:
    """What repositories remember for the unit of work in progress on ``db`` (None outside
    one): a turn looks its person up several times; the first read serves the others.
    Whatever writes a remembered row must update or drop its entry."""
    scope = _scope_of(db)
    return scope.memo if scope is not None else None


@contextmanager
def unit_of_work(db: Database) -> Iterator[None]:
    """Nested scopes join the outer one (a single commit, by the outermost)."""
    if _current.get() is not None:
        yield
        return
    with db.writing(), db.engine.connect() as connection:
        transaction = connection.begin()
        scope = _Scope(db, connection)
        token = _current.set(scope)
        try:
            yield
            if scope._session is not None:
                scope._session.flush()
            transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
        finally:
            _current.reset(token)
            if scope._session is not None:
                scope._session.close()
    for callback in scope.after_commit:
        try:
            callback()
        except Exception as exc:  # the turn is committed: a failing callback must not undo its answer
            log.error("after-commit callback failed: %s", type(exc).__name__)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (now, outside one)."""
    scope = _current.get()
    if scope is None:
        callback()
    else:
        scope.after_commit.append(callback)
