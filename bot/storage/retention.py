"""Retention: what is kept about past conversations goes after a fixed period.

Closed hand-off tickets (their summary, note, the message that raised an urgent
request and the notices sent to referents), unanswered questions, delivery rows
(per-recipient campaign rows, reminders, message statuses, seen message ids),
finished inbox/outbox rows (their hashed ids; the sealed text went when they were
handled) and the per-turn facts of the console's dashboard older than the period
are deleted. Open tickets, queued deliveries and unfinished queue rows are never
touched, whatever their age.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, delete, func, select
from sqlalchemy.sql.elements import ColumnElement

# The tables below hang off Base once their modules are imported.
import bot.storage.campaigns  # noqa: F401
import bot.storage.console_tables  # noqa: F401
import bot.storage.delivery_status  # noqa: F401
import bot.storage.models  # noqa: F401
import bot.storage.queue  # noqa: F401
from bot.storage.base import Base, utcnow
from bot.storage.database import Database

_CLOSED_TICKETS = ("closed", "cancelled")


def _conditions(cutoff: datetime) -> list[tuple[str, ColumnElement[bool]]]:
    """(table, which rows are too old), children before parents."""
    t = Base.metadata.tables
    tickets = t["handoff_tickets"]
    old_ticket = and_(
        tickets.c.status.in_(_CLOSED_TICKETS),
        func.coalesce(tickets.c.closed_at, tickets.c.created_at) < cutoff,
    )
    old_ticket_ids = select(tickets.c.id).where(old_ticket)
    recipients, reminders = t["broadcast_recipients"], t["broadcast_reminders"]
    return [
        ("handoff_notices", t["handoff_notices"].c.ticket_id.in_(old_ticket_ids)),
        ("handoff_announcements", t["handoff_announcements"].c.ticket_id.in_(old_ticket_ids)),
        ("handoff_tickets", old_ticket),
        ("unanswered_questions", t["unanswered_questions"].c.created_at < cutoff),
        ("broadcast_recipients", and_(recipients.c.finished_at.is_not(None), recipients.c.finished_at < cutoff)),
        ("broadcast_reminders", and_(reminders.c.finished_at.is_not(None), reminders.c.finished_at < cutoff)),
        ("outgoing_statuses", t["outgoing_statuses"].c.updated_at < cutoff),
        *[
            (queue, and_(t[queue].c.finished_at.is_not(None), t[queue].c.finished_at < cutoff))
            for queue in ("inbox_items", "outbox_items")
        ],
        ("turn_facts", t["turn_facts"].c.at < cutoff),
    ]


class RetentionPurge:
    def __init__(self, db: Database, days: int, *, clock: Callable[[], datetime] = utcnow) -> None:
        if days < 1:
            raise ValueError("retention must be at least one day")
        self._db = db
        self._period = timedelta(days=days)
        self._clock = clock

    def cutoff(self) -> datetime:
        return self._clock() - self._period

    def count(self) -> dict[str, int]:
        """What a purge would delete now, per table."""
        with self._db.session() as session:
            return {
                name: int(session.scalar(select(func.count()).select_from(_table(name)).where(where)) or 0)
                for name, where in _conditions(self.cutoff())
            }

    def purge(self) -> dict[str, int]:
        """Delete it; one transaction, so a crash leaves all or nothing."""
        with self._db.session() as session:
            return {
                name: int(session.execute(delete(_table(name)).where(where)).rowcount or 0)
                for name, where in _conditions(self.cutoff())
            }


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


class PeriodicPurge:
    """Runs a purge from a worker loop at most once per ``every`` (the loop ticks far more often)."""

    def __init__(self, purge: RetentionPurge, *, every: timedelta = timedelta(hours=1),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._purge = purge
        self._every = every
        self._clock = clock
        self._last: datetime | None = None

    def __call__(self) -> dict[str, int] | None:
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            return None
        self._last = now
        return self._purge.purge()
