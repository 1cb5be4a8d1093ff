"""Outgoing message statuses and send-error counts, for stats.

Only keyed hashes of platform message ids (a WhatsApp message id encodes the
recipient's number), statuses and error codes: never a recipient id, a phone
number or any text.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, case, func, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utcnow
from bot.storage.database import Database

# Webhooks arrive out of order: a late "delivered" must not undo a "read".
_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class OutgoingStatus(Base):
    __tablename__ = "outgoing_statuses"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class SendErrorCount(Base):
    __tablename__ = "send_error_counts"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DeliveryStatusRepository:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._upsert = _status_upsert(database.insert)

    def _key(self, message_id: str) -> str:
        return self._db.identity.lookup_hash("message", message_id)

    def record_status(
        self,
        channel: str,
        message_id: str,
        status: str,
        at: datetime | None = None,
        error_code: str | int | None = None,
    ) -> None:
        at = at or utcnow()
        code = None if error_code is None else str(error_code)[:32]
        status = status[:16]
        with self._db.connection() as connection:
            connection.execute(self._upsert, dict(
                channel=channel, message_id=self._key(message_id), status=status, error_code=code,
                updated_at=at, rank=_RANK.get(status, 0),
            ))

    def count_error(self, channel: str, code: str | int, at: datetime | None = None) -> None:
        # One atomic upsert: concurrent sends failing with the same new code must neither
        # collide on the primary key nor lose an increment.
        at = at or utcnow()
        statement = self._db.insert(SendErrorCount).values(channel=channel, code=str(code)[:32], count=1, last_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[SendErrorCount.channel, SendErrorCount.code],
            set_={"count": SendErrorCount.count + 1, "last_at": at},
        )
        with self._db.session() as session:
            session.execute(statement)

    def status(self, channel: str, message_id: str) -> str | None:
        with self._db.session() as session:
            row = session.get(OutgoingStatus, (channel, self._key(message_id)))
            return row.status if row else None

    def status_counts(self, channel: str) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(OutgoingStatus.status, func.count())
                .where(OutgoingStatus.channel == channel)
                .group_by(OutgoingStatus.status)
            )
            return {status: count for status, count in rows}

    def error_counts(self, channel: str) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(SendErrorCount.code, SendErrorCount.count).where(SendErrorCount.channel == channel)
            )
            return {code: count for code, count in rows}


def _status_upsert(insert: Any) -> Any:
    """Insert a status, or move the stored one forward only (the WHERE keeps a late
    "delivered" from undoing a "read"). One statement, built once: it runs for every
    message sent."""
    t = OutgoingStatus.__table__
    statement = insert(t).values(
        channel=bindparam("channel", type_=String()), message_id=bindparam("message_id", type_=String()),
        status=bindparam("status", type_=String()), error_code=bindparam("error_code", type_=String()),
        updated_at=bindparam("updated_at", type_=UtcDateTime()),
    )
    stored_rank = case(_RANK, value=t.c.status, else_=0)
    return statement.on_conflict_do_update(
        index_elements=[t.c.channel, t.c.message_id],
        set_={
            "status": statement.excluded.status,
            "error_code": func.coalesce(statement.excluded.error_code, t.c.error_code),
            "updated_at": statement.excluded.updated_at,
        },
        where=stored_rank <= bindparam("rank", type_=Integer()),
    )
