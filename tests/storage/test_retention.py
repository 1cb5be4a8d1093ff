"""Retention: old closed tickets, questions and delivery rows go; open work and recent rows stay."""
from __future__ import annotations

import argparse
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select, update

from bot.core.ports import TurnFacts
from bot.storage.base import Base, utcnow
from bot.storage.campaigns import CampaignRepository
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.queue import DurableQueue, InboxItem
from bot.storage.referents import NoticeRepository, ReferentRepository
from bot.storage.retention import PeriodicPurge, RetentionPurge
from bot.storage.retention_cli import register
from bot.storage.turn_facts import TurnFactRepository
from bot.storage.unanswered import UnansweredRepository

OLD = timedelta(days=400)


def _age(db, table: str, column: str, where=None) -> None:
    t = Base.metadata.tables[table]
    statement = update(t).values({column: utcnow() - OLD})
    if where is not None:
        statement = statement.where(where(t))
    with db.session() as session:
        session.execute(statement)


def _count(db, table: str) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Base.metadata.tables[table]))


def _fill(db):
    persons = PersonRepository(db)
    old_p = persons.get_or_create("whatsapp", "221770000001").id
    new_p = persons.get_or_create("whatsapp", "221770000002").id
    handoffs = HandoffRepository(db)
    closed = handoffs.request(old_p, "whatsapp", "Fogny", {}, "résumé")
    handoffs.close(closed.id, closing_note="note")
    still_open = handoffs.request(new_p, "whatsapp", "Fogny", {}, "résumé")
    referent = ReferentRepository(db).add("Awa", "9001")
    notices = NoticeRepository(db)
    notices.start_announcement(closed.id, utcnow())
    notices.record(closed.id, referent.id, "m1")
    notices.start_announcement(still_open.id, utcnow())
    unanswered = UnansweredRepository(db)
    unanswered.record(old_p, "vieille question", "nlu_fallback", 0.1, "fr")
    unanswered.record(new_p, "question récente", "nlu_fallback", 0.1, "fr")
    statuses = DeliveryStatusRepository(db)
    statuses.record_status("whatsapp", "wamid.OLD", "read")
    statuses.record_status("whatsapp", "wamid.NEW", "read")
    inbox = DurableQueue(db, InboxItem)  # one message handled long ago, one still waiting
    inbox.accept("whatsapp", "wamid.DONE", "whatsapp:221770000001", {"text": "vieux"})
    [handled] = inbox.claim("w")
    inbox.finish(handled)
    inbox.accept("whatsapp", "wamid.WAIT", "whatsapp:221770000002", {"text": "en attente"})
    facts = TurnFactRepository(db)
    facts.record_turn(TurnFacts(old_p, "whatsapp", "bignona", None, "greet", None, True), at=utcnow() - OLD)
    facts.record_turn(TurnFacts(new_p, "whatsapp", "bignona", None, "greet", None, True))
    campaigns = CampaignRepository(db)
    campaign = campaigns.create("Portes ouvertes", territoire="bignona")
    campaigns.materialise(campaign.id, [old_p, new_p], utcnow())
    # Everything old, except what is still open or recent.
    _age(db, "handoff_tickets", "created_at")
    _age(db, "handoff_tickets", "closed_at", lambda t: t.c.id == closed.id)
    _age(db, "unanswered_questions", "created_at", lambda t: t.c.person_id == old_p)
    _age(db, "outgoing_statuses", "updated_at", lambda t: t.c.message_id == db.identity.lookup_hash("message", "wamid.OLD"))
    _age(db, "inbox_items", "created_at")
    _age(db, "inbox_items", "finished_at", lambda t: t.c.finished_at.is_not(None))
    with db.session() as session:  # one delivery row finished long ago, one still queued
        t = Base.metadata.tables["broadcast_recipients"]
        session.execute(update(t).where(t.c.person_id == old_p).values(status="sent", finished_at=utcnow() - OLD))
    return closed, still_open


EXPECTED = {
    "handoff_notices": 1, "handoff_announcements": 1, "handoff_tickets": 1, "unanswered_questions": 1,
    "broadcast_recipients": 1, "broadcast_reminders": 0, "outgoing_statuses": 1,
    "inbox_items": 1, "outbox_items": 0, "turn_facts": 1,
}


def test_purge_removes_only_old_finished_rows(db):
    closed, still_open = _fill(db)
    retention = RetentionPurge(db, 365)
    assert retention.count() == EXPECTED
    assert _count(db, "handoff_tickets") == 2  # counting deletes nothing
    assert retention.purge() == EXPECTED
    handoffs = HandoffRepository(db)
    assert handoffs.get(closed.id) is None
    assert handoffs.get(still_open.id) is not None  # an open ticket is kept, however old
    assert [q.text for q in UnansweredRepository(db).recent(10)] == ["question récente"]
    assert DeliveryStatusRepository(db).status("whatsapp", "wamid.NEW") == "read"
    assert DeliveryStatusRepository(db).status("whatsapp", "wamid.OLD") is None
    assert _count(db, "broadcast_recipients") == 1
    assert _count(db, "handoff_announcements") == 1
    assert _count(db, "inbox_items") == 1 and _count(db, "turn_facts") == 1  # waiting / recent: kept
    assert set(retention.count().values()) == {0}


def test_a_longer_period_keeps_everything(db):
    _fill(db)
    assert set(RetentionPurge(db, 500).purge().values()) == {0}


def test_periodic_purge_runs_at_most_once_an_hour(db):
    _fill(db)
    now = [utcnow()]
    periodic = PeriodicPurge(RetentionPurge(db, 365), clock=lambda: now[0])
    assert periodic() == EXPECTED
    assert periodic() is None
    now[0] += timedelta(minutes=61)
    assert set(periodic().values()) == {0}


def _run(db, capsys, *argv):
    parser = argparse.ArgumentParser(prog="terrapro")
    register(parser.add_subparsers(dest="command", required=True), lambda: SimpleNamespace(db=db),
             lambda: SimpleNamespace(retention_days=365))
    args = parser.parse_args(list(argv))
    assert args.run(args) == 0
    return capsys.readouterr().out


def test_cli_dry_run_shows_counts_and_keeps_rows(db, capsys):
    _fill(db)
    out = _run(db, capsys, "privacy", "purge", "--dry-run")
    assert "365 jours" in out and "questions sans réponse" in out
    assert "Simulation : 8 ligne(s) partiraient" in out
    assert _count(db, "unanswered_questions") == 2
    out = _run(db, capsys, "privacy", "purge")
    assert "8 ligne(s) effacée(s)" in out
    assert _count(db, "unanswered_questions") == 1
