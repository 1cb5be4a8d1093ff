from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.campaigns import CampaignRecipient, Reminder
from tests.broadcast.conftest import NOW


def test_erasing_a_person_removes_their_broadcast_rows(add_people, persons, make_broadcast, sender, db):
    gone, kept = add_people(2)
    b = make_broadcast({"telegram": sender})
    campaign = b.service.create("x", territoire="bignona")
    b.repo.materialise(campaign.id, [gone, kept], NOW)
    b.reminders.request(gone, "EVT-FUT")
    b.reminders.request(kept, "EVT-FUT")

    assert persons.delete_everything(gone)

    with db.session() as session:
        for model in (CampaignRecipient, Reminder):
            assert session.scalar(select(func.count()).select_from(model).where(model.person_id == gone)) == 0
            assert session.scalar(select(func.count()).select_from(model).where(model.person_id == kept)) == 1
