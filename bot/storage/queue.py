"""Durable queues with order per key: the inbox (messages received) and the outbox (messages to send).

Persist first, acknowledge second: a webhook writes the update here before the
platform gets its 200, then workers — in any number of processes — take rows
out. The rules that make this safe:

- ``accept`` is one INSERT that also deduplicates on the platform's id, so a
  redelivered update is recognised even after it was processed.
- Only the oldest unfinished row of a key (a person) can be claimed, so one
  person's messages are handled one at a time in arrival order while different
  people go in parallel, across processes.
- A claim is a lease: a worker that dies mid-turn leaves a lease that expires,
  and the row is claimed again (at-least-once; effects must be idempotent).
- A finished row keeps only its ids (the payload, which may hold message text,
  is cleared at once) until ``purge_finished`` removes it.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utcnow
from bot.storage.database import Database
from bot.storage.identity import IdentityProtector
from bot.storage.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

SLOW_CLAIM_SECONDS = 0.002
ANALYZE_GAP = 10.0

QUEUED, LEASED, DONE, DEAD = "queued", "leased", "done", "dead"
STATUSES = (QUEUED, LEASED, DONE, DEAD)
MAX_ID = 128
MAX_ERROR = 200


class _QueueRow:
    """Columns shared by both queues (a mixin: each queue has its own table)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The platform's id (update_id, wamid) or our own idempotency key: unique per channel.
    dedupe_id: Mapped[str] = mapped_column(String(MAX_ID))
    # Whose order this row keeps: "channel:person" (one person's rows run one at a time).
    key: Mapped[str] = mapped_column(String(MAX_ID))
    # What to do; cleared once the row is finished (it may hold message text).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


_UNFINISHED_SQL = text("status IN ('queued', 'leased')")
_LEASED_SQL = text("status = 'leased'")


def _unfinished(table: Any) -> Any:
    """The partial indexes' own predicate, written out literally: SQLite uses a partial
    index only when the query repeats its WHERE term (bound parameters do not count),
    and without it every claim scanned the whole table, finished rows included."""
    return text(f"{table.name}.status IN ('queued', 'leased')")


def _table_args(name: str) -> tuple[Any, ...]:
    return (
        UniqueConstraint("channel", "dedupe_id"),
        CheckConstraint("status IN ('queued', 'leased', 'done', 'dead')", name="status"),
        Index(f"ix_{name}_key_open", "key", "id", postgresql_where=_UNFINISHED_SQL, sqlite_where=_UNFINISHED_SQL),
        # What a claim walks, oldest first: only the unfinished rows, however many are kept done.
        Index(f"ix_{name}_open", "id", postgresql_where=_UNFINISHED_SQL, sqlite_where=_UNFINISHED_SQL),
        Index(f"ix_{name}_finished", "finished_at"),
        # At most one leased row per key, whatever the processes do at once: two writers that
        # both saw nothing pending cannot both lease (the second waits for the first's commit,
        # then conflicts and writes its row queued).
        Index(f"ux_{name}_leased_key", "key", unique=True, postgresql_where=_LEASED_SQL, sqlite_where=_LEASED_SQL),
    )


class InboxItem(_QueueRow, Base):
    __tablename__ = "inbox_items"
    __table_args__ = _table_args("inbox_items")


class OutboxItem(_QueueRow, Base):
    __tablename__ = "outbox_items"
    __table_args__ = _table_args("outbox_items")


class LeaseLost(Exception):
    """The row's lease ran out and another worker (or another attempt) holds it now: this
    attempt must not end it, and a turn that would have ended it is rolled back."""


@dataclass(frozen=True)
class QueueItem:
    id: int
    channel: str
    dedupe_id: str
    key: str
    payload: dict[str, Any]
    attempts: int  # claims so far, this one included
    created_at: datetime


def queue_hash(identity: IdentityProtector, value: str) -> str:
    """Keys ("whatsapp:<number>") and WhatsApp message ids carry a phone number: kept as keyed hashes."""
    return identity.lookup_hash("queue", value)


class DurableQueue:
    """One queue table; the same code serves the inbox and the outbox."""

    def __init__(self, db: Database, table: type[_QueueRow], *, max_attempts: int = 5) -> None:
        self._db = db
        self._model = table
        self._table: Table = table.__table__  # type: ignore[attr-defined]
        self.max_attempts = max_attempts
        self._statements = _Statements(self._table, db.insert, postgresql=db.dialect == "postgresql")
        self._analyzed_at = float("-inf")

    @property
    def name(self) -> str:
        """The table's name: row ids are only unique within one queue."""
        return self._table.name

    def _hash(self, value: str) -> str:
        return queue_hash(self._db.identity, value)

    def key_hash(self, key: str) -> str:
        """A key as stored (and as ``QueueItem.key`` holds it)."""
        return self._hash(key)

    def accept(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> bool:
        """Store a row durably; False when (channel, dedupe_id) was already accepted.

        The payload (message text, platform ids) is sealed at rest (bot.storage.identity)."""
        return self.accept_leased(channel, dedupe_id, key, payload)[0]

    def accept_leased(
        self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any], *,
        worker: str | None = None, lease: timedelta = timedelta(seconds=60),
    ) -> tuple[bool, QueueItem | None]:
        """``accept``, and with ``worker``: the row is leased to it at once when its key has
        nothing unfinished, so the writer handles it without a claim (the common case:
        a person's message with nothing before it). Else it waits its turn, queued.

        Returns (accepted, the leased item or None)."""
        now = utcnow()
        hashed_key = self._hash(key)
        sealed = {"sealed": self._db.identity.seal("queue", json.dumps(payload, ensure_ascii=False))}
        params: dict[str, Any] = dict(
            channel=str(channel)[:16], dedupe_id=self._hash(dedupe_id), key=hashed_key, payload=sealed, now=now,
        )
        statements = self._statements
        with self._db.connection() as connection:
            if worker is None:
                row = connection.execute(statements.insert_queued, params).first()
            else:
                params.update(lease_until=now + lease, worker=worker[:64])
                row = connection.execute(statements.insert_leased_if_first, params).first()
                if row is None:
                    # A conflict: the platform's id was seen before, or another writer leased this
                    # key's row at the same moment (the unique index on leased keys made this INSERT
                    # wait for its commit). Written queued, it waits its turn; a duplicate is refused again.
                    row = connection.execute(statements.insert_queued, params).first()
        if row is None:  # a conflict returns no row: the platform's id was seen before
            return False, None
        if row.status != LEASED:
            return True, None
        return True, QueueItem(row.id, params["channel"], params["dedupe_id"], hashed_key, payload, 1, now)

    def claim(self, worker: str, *, limit: int = 10, lease: timedelta = timedelta(seconds=60),
              now: datetime | None = None, channels: tuple[str, ...] | None = None) -> list[QueueItem]:
        """Lease up to ``limit`` rows, each the oldest unfinished row of its key.

        ``channels``: only rows of these channels (a process takes what it can deliver).
        Each lease is a conditional UPDATE, so two workers never hold the same row, and
        a key's next row is never claimable while an earlier one is unfinished: order
        per key holds across processes.
        """
        return self._claim(worker, channels, limit, lease, now or utcnow())

    def _claim(self, worker: str, channels: tuple[str, ...] | None, limit: int, lease: timedelta,
               now: datetime) -> list[QueueItem]:
        statements = self._statements
        params: dict[str, Any] = dict(now=now, limit=limit)
        if channels is not None:
            params["channels"] = list(channels)
        # One transaction, one conditional UPDATE for all the candidates: a row another
        # worker leased since the SELECT is no longer ready and is left out (on PostgreSQL
        # the UPDATE waits for that worker's commit, then re-checks the condition).
        leased = []
        with self._db.connection() as connection:
            started = time.monotonic()
            ids = list(connection.scalars(
                statements.candidates if channels is None else statements.candidates_of_channels, params
            ))
            took = time.monotonic() - started
            if ids:
                leased = connection.execute(statements.lease, dict(
                    ids=ids, now=now, lease_until=now + lease, worker=worker[:64],
                )).all()
        self._refresh_statistics_if_slow(took)
        claimed = [QueueItem(row.id, row.channel, row.dedupe_id, row.key, self._open(row.payload), row.attempts,
                             row.created_at) for row in leased]
        return sorted(claimed, key=lambda item: item.id)

    def _refresh_statistics_if_slow(self, took: float) -> None:
        """On PostgreSQL, a slow candidate query means the planner's statistics predate a
        burst: counting almost no unfinished rows, it looks each row's elders up by walking
        every unfinished row instead of the (key, id) index (several ms per claim with a few
        thousand rows waiting, instead of under 1 ms). ANALYZE the table then, at most once
        per ``ANALYZE_GAP`` seconds per process; autovacuum alone comes too late for a burst."""
        if self._db.dialect != "postgresql" or took < SLOW_CLAIM_SECONDS:
            return
        now = time.monotonic()
        if now - self._analyzed_at < ANALYZE_GAP:
            return
        self._analyzed_at = now
        try:
            with self._db.connection() as connection:  # after the claim's commit: its row locks are gone
                connection.execute(text(f"ANALYZE {self._table.name}"))
        except SQLAlchemyError as exc:  # the claim itself stands: its rows are leased and must be handled
            log.warning("queue %s: ANALYZE failed (%s)", self._table.name, type(exc).__name__)
            return
        log.info("queue %s: claim took %.0f ms, statistics refreshed", self._table.name, took * 1000)

    def _open(self, stored: Any) -> dict[str, Any]:
        if isinstance(stored, dict) and isinstance(stored.get("sealed"), str):
            return json.loads(self._db.identity.open("queue", stored["sealed"]))
        return dict(stored or {})

    def together(self, writes: list[Callable[[], None]], end: Callable[..., object], *args: object) -> object:
        """``end(*args)`` (finish, requeue, give_up) and ``writes`` in one transaction; what ``end`` returns."""
        if not writes:
            return end(*args)
        with unit_of_work(self._db):
            for write in writes:
                write()
            return end(*args)

    # Ending a row takes the lease it was claimed with: ``item.attempts`` grows with every
    # lease, so a worker whose lease ran out (a turn longer than the lease) cannot end, or put
    # back, the row another worker has leased since.

    def finish(self, item: QueueItem) -> bool:
        """Done: the payload goes at once, the ids stay for deduplication until purged.
        False if this lease was lost (the row is someone else's now)."""
        return self._end(item, DONE, None)

    def give_up(self, item: QueueItem, reason: str) -> bool:
        """A final failure, recorded with its reason; the key's next rows go on."""
        return self._end(item, DEAD, reason)

    def _end(self, item: QueueItem, status: str, reason: str | None) -> bool:
        with self._db.connection() as connection:
            ended = connection.execute(self._statements.end, dict(
                item_id=item.id, attempt=item.attempts, status=status, at=utcnow(),
                reason=(reason or None) and reason[:MAX_ERROR],
            )).rowcount
        return bool(ended)

    def requeue(self, item: QueueItem, reason: str, delay: timedelta) -> str | None:
        """Put a leased row back for a later try; after ``max_attempts`` it is given up. Returns
        what became of the row: QUEUED (tried again later), DEAD (its attempts are used up) or
        None (this lease was lost: finished or leased again by another worker meanwhile).

        One conditional UPDATE: only a row still under this lease changes."""
        t = self._table
        now = utcnow()
        exhausted = t.c.attempts >= self.max_attempts
        with self._db.connection() as connection:
            status = connection.execute(
                update(t).where(t.c.id == item.id, t.c.status == LEASED, t.c.attempts == item.attempts).values(
                    status=case((exhausted, DEAD), else_=QUEUED),
                    payload=case((exhausted, None), else_=t.c.payload),
                    finished_at=case((exhausted, now), else_=None),
                    available_at=now + delay, lease_until=None, last_error=reason[:MAX_ERROR],
                ).returning(t.c.status)
            ).scalar()
        return status

    def backlog(self) -> int:
        """Rows not finished yet (for back-pressure and /metrics)."""
        t = self._table
        with self._db.connection() as connection:
            return int(connection.scalar(select(func.count()).select_from(t).where(_unfinished(t))) or 0)

    def dead(self, limit: int = 50) -> list[tuple[int, str, str | None]]:
        t = self._table
        with self._db.connection() as connection:
            rows = connection.execute(
                select(t.c.id, t.c.channel, t.c.last_error).where(t.c.status == DEAD).order_by(t.c.id.desc()).limit(limit)
            ).all()
        return [(r.id, r.channel, r.last_error) for r in rows]

    def forget_key(self, key: str) -> int:
        """Erase every row of a person (data deletion)."""
        t = self._table
        with self._db.connection() as connection:
            return int(connection.execute(delete(t).where(t.c.key == self._hash(key))).rowcount)

    def purge_finished(self, older_than: timedelta, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - older_than
        t = self._table
        with self._db.connection() as connection:
            result = connection.execute(
                delete(t).where(t.c.status.in_((DONE, DEAD)), t.c.finished_at < cutoff)
            )
            return int(result.rowcount)


class _Statements:
    """The statements run for every message, built once: building one (and its cache key)
    cost more CPU than running it. Values come as bound parameters."""

    def __init__(self, t: Table, insert: Any, *, postgresql: bool) -> None:
        key = bindparam("key", type_=String())
        now = bindparam("now", type_=UtcDateTime())
        row = dict(
            channel=bindparam("channel", type_=String()), dedupe_id=bindparam("dedupe_id", type_=String()),
            key=key, payload=bindparam("payload", type_=t.c.payload.type), available_at=now, created_at=now,
        )
        returning = (t.c.id, t.c.status)
        self.insert_queued = (
            insert(t).values(**row, status=QUEUED, attempts=0).on_conflict_do_nothing().returning(*returning)
        )
        # Leased to the writer when the key has nothing unfinished, decided by the INSERT itself.
        pending = select(t.c.id).where(_unfinished(t), t.c.key == key).exists()
        self.insert_leased_if_first = insert(t).values(
            **row,
            status=case((pending, QUEUED), else_=LEASED),
            attempts=case((pending, 0), else_=1),
            lease_until=case((pending, None), else_=bindparam("lease_until", type_=UtcDateTime())),
            leased_by=case((pending, None), else_=bindparam("worker", type_=String())),
        ).on_conflict_do_nothing().returning(*returning)
        # Claims: the oldest unfinished row of each key, from the partial index (unfinished
        # rows only): the cost follows the backlog, never the history, nor one person's long queue.
        ready = or_(
            and_(t.c.status == QUEUED, t.c.available_at <= now),
            and_(t.c.status == LEASED, t.c.lease_until < now),
        )
        older = t.alias("older")
        first_of_key = ~select(older.c.id).where(
            older.c.key == t.c.key, older.c.id < t.c.id, _unfinished(older)
        ).exists()
        self.candidates = (
            select(t.c.id).where(_unfinished(t), ready, first_of_key)
            .order_by(t.c.id).limit(bindparam("limit", type_=Integer()))
        )
        if postgresql:
            # Workers claiming at once take different rows instead of all reaching for the
            # same oldest ones and waiting on each other's commit to find them taken. Safe for
            # the order: a row skipped here is the first unfinished one of its key, so that
            # key's later rows are not candidates either.
            self.candidates = self.candidates.with_for_update(skip_locked=True, of=t)
        self.candidates_of_channels = self.candidates.where(
            t.c.channel.in_(bindparam("channels", expanding=True, type_=String()))
        )
        self.lease = (
            update(t)
            .where(t.c.id.in_(bindparam("ids", expanding=True, type_=Integer())), ready)
            .values(status=LEASED, lease_until=bindparam("lease_until", type_=UtcDateTime()),
                    leased_by=bindparam("worker", type_=String()), attempts=t.c.attempts + 1)
            .returning(t.c.id, t.c.channel, t.c.dedupe_id, t.c.key, t.c.payload, t.c.attempts, t.c.created_at)
        )
        self.end = update(t).where(
            t.c.id == bindparam("item_id", type_=Integer()), t.c.status == LEASED,
            t.c.attempts == bindparam("attempt", type_=Integer()),
        ).values(
            status=bindparam("status", type_=String()), payload=None, lease_until=None,
            finished_at=bindparam("at", type_=UtcDateTime()), last_error=bindparam("reason", type_=String()),
        )
