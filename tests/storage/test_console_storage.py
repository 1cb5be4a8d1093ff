"""Console storage on SQLite and PostgreSQL: sessions, throttle, turn facts, territory-scoped views."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.core.ports import TurnFacts
from bot.storage.console_accounts import ConsoleSessionRepository, ConsoleUserRepository, LoginThrottle
from bot.storage.console_views import ConsoleViews
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.referents import ReferentRepository
from bot.storage.turn_facts import TurnFactRepository, week_number
from bot.storage.unanswered import UnansweredRepository


def test_sessions_expire_and_revoke(db):
    user = ConsoleUserRepository(db).add("a@b.org", "admin", "all", "setup", timedelta(hours=1))
    sessions = ConsoleSessionRepository(db)
    sessions.create(user.id, "live", "csrf", timedelta(hours=1))
    sessions.create(user.id, "old", "csrf", timedelta(seconds=-1))
    assert sessions.active("live").user.email == "a@b.org"
    assert sessions.active("old") is None and sessions.active("nope") is None
    assert sessions.revoke_all(user.id) == 2
    assert sessions.active("live") is None


def test_throttle_locks_after_five_failures_then_expires(db):
    throttle = LoginThrottle(db)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    for _ in range(4):
        throttle.fail("ip:1.2.3.4", now)
    assert not throttle.locked("ip:1.2.3.4", now)
    throttle.fail("ip:1.2.3.4", now)
    assert throttle.locked("ip:1.2.3.4", now + timedelta(minutes=14))
    assert not throttle.locked("ip:1.2.3.4", now + timedelta(minutes=16))


def test_turn_facts_weekly_counts_and_scope(db):
    persons = PersonRepository(db)
    person = persons.get_or_create("telegram", "1", "Awa")
    turns = TurnFactRepository(db)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    for at, territoire, filiere, answered in [
        (monday, "bignona", "solaire", True), (monday + timedelta(days=6), "bignona", "solaire", False),
        (monday - timedelta(days=1), "bignona", "couture", True), (monday, "savoie", "btp", True),
    ]:
        turns.record_turn(TurnFacts(person.id, "telegram", territoire, "B", "search_training", filiere, answered), at=at)
    week = week_number(monday)
    assert week_number(monday + timedelta(days=6, hours=14)) == week == week_number(monday - timedelta(days=1)) + 1
    assert turns.totals(week, "bignona") == (2, 1, 1)
    assert turns.totals(week, None) == (3, 1, 1)
    assert turns.top_filieres(week, None) == [("solaire", 2), ("btp", 1)]
    assert turns.weekly(week - 1, 2, "bignona")["filiere"] == {"couture": [1, 0], "solaire": [0, 2]}


def test_views_keep_to_the_territory(db):
    persons = PersonRepository(db)
    bignona = persons.get_or_create("telegram", "10", "Awa")
    savoie = persons.get_or_create("telegram", "11", "Léa")
    persons.update(bignona.id, territoire="bignona")
    persons.update(savoie.id, territoire="savoie")
    handoffs = HandoffRepository(db)
    ticket = handoffs.request(bignona.id, "telegram", "Fogny", {}, "")
    UnansweredRepository(db).record(savoie.id, "question savoyarde", "out_of_scope", 0.1, "fr")
    views = ConsoleViews(db)
    assert views.ticket(ticket.id, "savoie") is None
    assert views.ticket(ticket.id, "bignona").first_name == "Awa"
    assert [r.ticket.id for r in views.open_tickets(None)] == [ticket.id]
    assert views.questions("bignona") == []
    [question] = views.questions("savoie")
    assert views.mark_treated([question.id], "bignona", "x@y.org") == 0
    assert views.mark_treated([question.id], "savoie", "x@y.org") == 1
    assert views.questions("savoie")[0].treated
    referent = ReferentRepository(db).add("Ibou", 42, "Fogny")
    assert views.reassign(ticket.id, referent.id)
    assert [r.ticket.id for r in views.open_tickets(None, referent_id=referent.id)] == [ticket.id]
    assert views.open_tickets(None, referent_id=referent.id + 1) == []
