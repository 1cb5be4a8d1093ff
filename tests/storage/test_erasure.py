"""The right to erasure: delete_everything leaves no row about the person."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.core.ports import TurnFacts
from bot.storage.base import Base, utcnow
from bot.storage.campaigns import CampaignRepository
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.state import SqlConversationStateStore
from bot.storage.subscriptions import SubscriptionRepository
from bot.storage.turn_facts import TurnFactRepository
from bot.storage.unanswered import UnansweredRepository


def _fill(db, external_id):
    persons = PersonRepository(db)
    pid = persons.get_or_create("whatsapp", external_id, display_name="Fatou").id
    SqlConversationStateStore(db).save(pid, {"step": "ask_place"})
    SubscriptionRepository(db).subscribe(pid, "bignona", bassin="Sindian")
    handoffs = HandoffRepository(db)
    old = handoffs.request(pid, "whatsapp", "Sindian", {"intent": "ask_price"}, "s")
    handoffs.close(old.id, rating=5)
    handoffs.request(pid, "whatsapp", "Sindian", {"intent": "ask_price"}, "s2")
    UnansweredRepository(db).record(pid, "question", "nlu_fallback", 0.1, "fr")
    campaigns = CampaignRepository(db)
    campaign = campaigns.create("Portes ouvertes", territoire="bignona")
    campaigns.materialise(campaign.id, [pid], utcnow())
    campaigns.add_reminder(pid, "EVT-01", utcnow())
    TurnFactRepository(db).record_turn(TurnFacts(pid, "whatsapp", "bignona", "Sindian", "greet", None, True))
    return pid


def _rows_about(db, person_id):
    """Rows referring to the person in every table hanging off persons.id."""
    counts = {}
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "persons":
                columns = [table.c.id]
            else:
                columns = [fk.parent for fk in table.foreign_keys if fk.column.table.name == "persons"]
            for column in columns:
                counts[f"{table.name}.{column.name}"] = session.scalar(
                    select(func.count()).select_from(table).where(column == person_id)
                )
    return counts


def test_delete_everything_leaves_nothing_and_spares_others(db):
    gone = _fill(db, "221770000001")
    kept = _fill(db, "221770000002")
    before = _rows_about(db, gone)
    assert before["persons.id"] == 1
    assert before["handoff_tickets.person_id"] == 2
    assert all(before[t] >= 1 for t in before)

    assert PersonRepository(db).delete_everything(gone) is True

    assert set(_rows_about(db, gone).values()) == {0}
    assert _rows_about(db, kept) == before  # the other person is untouched
    assert PersonRepository(db).find("whatsapp", "221770000001") is None
    assert PersonRepository(db).delete_everything(gone) is False


def test_foreign_keys_cascade_at_database_level(db):
    """Tables added later by other modules rely on ON DELETE CASCADE: check the
    database really enforces it (SQLite needs foreign_keys=ON per connection)."""
    from sqlalchemy import delete

    from bot.storage.models import Person

    pid = _fill(db, "221770000003")
    with db.session() as session:
        session.execute(delete(Person).where(Person.id == pid))
    assert set(_rows_about(db, pid).values()) == {0}
