from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.storage.base import utcnow
from bot.storage.dedupe import ProcessedMessageRepository
from bot.storage.models import ProcessedMessage


def test_first_time_only_once_per_channel(db):
    dedupe = ProcessedMessageRepository(db)
    assert dedupe.first_time("whatsapp", "wamid.ABC") is True
    assert dedupe.first_time("whatsapp", "wamid.ABC") is False
    assert dedupe.first_time("telegram", "wamid.ABC") is True


def test_over_long_ids_still_dedupe(db):
    dedupe = ProcessedMessageRepository(db)
    long_id = "x" * 1000
    assert dedupe.first_time("whatsapp", long_id) is True
    assert dedupe.first_time("whatsapp", long_id) is False
    assert dedupe.first_time("whatsapp", long_id + "y") is True


def test_missing_id_is_always_handled(db):
    dedupe = ProcessedMessageRepository(db)
    assert dedupe.first_time("cli", "") is True
    assert dedupe.first_time("cli", "") is True


def test_purge_older_than(db):
    dedupe = ProcessedMessageRepository(db)
    dedupe.first_time("telegram", "old")
    dedupe.first_time("telegram", "new")
    with db.session() as session:
        session.execute(
            update(ProcessedMessage)
            .where(ProcessedMessage.message_id == db.identity.lookup_hash("message", "old"))
            .values(created_at=utcnow() - timedelta(days=10))
        )
    assert dedupe.purge_older_than(7) == 1
    with db.session() as session:
        assert session.scalars(select(ProcessedMessage.message_id)).all() == [
            db.identity.lookup_hash("message", "new")
        ]
    # A purged id is accepted again (the platforms stop retrying long before).
    assert dedupe.first_time("telegram", "old") is True
