"""Platforms redeliver messages (webhook retries): remember which we handled."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.base import utcnow
from bot.storage.database import Database
from bot.storage.models import ProcessedMessage


class ProcessedMessageRepository:
    """Implements bot.core.ports.DeliveryDedupe."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # A WhatsApp message id ("wamid.…") encodes the sender's number: keep a keyed hash.
        self._key = lambda message_id: db.identity.lookup_hash("message", message_id)
        self._insert = pg_insert if db.dialect == "postgresql" else sqlite_insert

    def first_time(self, channel: str, message_id: str) -> bool:
        """True exactly once per (channel, message_id), even across workers."""
        if not message_id:
            return True  # nothing to dedupe on: handle it
        statement = (
            self._insert(ProcessedMessage.__table__)
            .values(channel=str(channel)[:16], message_id=self._key(message_id), created_at=utcnow())
            .on_conflict_do_nothing()
            # RETURNING, not rowcount: psycopg reports -1 here. A conflict returns no row.
            .returning(ProcessedMessage.__table__.c.message_id)
        )
        with self._db.session() as session:
            return session.connection().execute(statement).first() is not None

    def purge_older_than(self, days: int) -> int:
        cutoff = utcnow() - timedelta(days=days)
        with self._db.session() as session:
            result = session.execute(delete(ProcessedMessage).where(ProcessedMessage.created_at < cutoff))
            return int(result.rowcount)
