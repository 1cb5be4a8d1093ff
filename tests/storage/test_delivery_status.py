"""Outgoing statuses: one row per message, only ever moved forward (webhooks arrive out of order)."""
from __future__ import annotations

from sqlalchemy import select

from bot.storage.delivery_status import DeliveryStatusRepository, OutgoingStatus


def test_a_late_status_never_undoes_a_later_one(db):
    statuses = DeliveryStatusRepository(db)
    statuses.record_status("whatsapp", "wamid.A", "accepted")
    statuses.record_status("whatsapp", "wamid.A", "read")
    statuses.record_status("whatsapp", "wamid.A", "delivered")  # arrived after "read"
    statuses.record_status("whatsapp", "wamid.A", "accepted")  # our own record, after the webhook
    assert statuses.status("whatsapp", "wamid.A") == "read"
    statuses.record_status("whatsapp", "wamid.B", "sent")
    statuses.record_status("whatsapp", "wamid.B", "failed", error_code=131026)
    statuses.record_status("whatsapp", "wamid.B", "failed")  # a repeat without a code keeps it
    assert statuses.status("whatsapp", "wamid.B") == "failed"
    assert statuses.status_counts("whatsapp") == {"read": 1, "failed": 1}


def test_the_failure_code_is_kept_with_the_status(db):
    statuses = DeliveryStatusRepository(db)
    statuses.record_status("whatsapp", "wamid.C", "failed", error_code="131047")
    statuses.record_status("whatsapp", "wamid.C", "failed")
    with db.session() as session:
        [row] = session.scalars(select(OutgoingStatus)).all()
        assert row.error_code == "131047"
