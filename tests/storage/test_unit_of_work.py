"""One transaction per unit of work; an ORM session only when a repository needs one."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select

from bot.storage.handoff import HandoffRepository
from bot.storage.models import Person
from bot.storage.persons import PersonRepository
from bot.storage.queue import DurableQueue, InboxItem
from bot.storage.state import SqlConversationStateStore
from bot.storage.unit_of_work import unit_of_work


def count_rows(db, model) -> int:
    with db.connection() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


@contextmanager
def statements_run(db) -> Iterator[list[str]]:
    """The first word of every statement sent to the database meanwhile (BEGIN left out)."""
    run: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):
            run.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield run
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_core_statements_alone_make_no_orm_session(db, monkeypatch):
    made: list[object] = []
    new_session = db.new_session
    monkeypatch.setattr(db, "new_session", lambda **kw: made.append(kw) or new_session(**kw))
    inbox = DurableQueue(db, InboxItem)
    with unit_of_work(db):
        inbox.accept("whatsapp", "wamid.1", "whatsapp:1", {"n": 1})
        inbox.accept("whatsapp", "wamid.2", "whatsapp:1", {"n": 2})
    assert made == [] and count_rows(db, InboxItem) == 2


def test_orm_and_core_writes_commit_together_or_not_at_all(db):
    persons, inbox = PersonRepository(db), DurableQueue(db, InboxItem)
    with unit_of_work(db):
        created = persons.get_or_create("telegram", "1001")  # ORM (a new row)
        # A Core read in the same transaction sees what the ORM wrote.
        assert persons.find("telegram", "1001").id == created.id
        inbox.accept("telegram", "u1", "telegram:1001", {"n": 1})
    assert count_rows(db, Person) == 1 and count_rows(db, InboxItem) == 1

    with pytest.raises(RuntimeError), unit_of_work(db):
        persons.get_or_create("telegram", "1002")
        inbox.accept("telegram", "u2", "telegram:1002", {"n": 2})
        raise RuntimeError("the turn failed")
    assert count_rows(db, Person) == 1 and count_rows(db, InboxItem) == 1


def test_the_person_s_read_brings_their_state_and_whether_a_referent_has_them(db):
    """A turn reads its person, their conversation state and their open ticket: one
    statement. What the turn itself writes next (a state, a ticket) is read back."""
    persons, states, handoffs = PersonRepository(db), SqlConversationStateStore(db), HandoffRepository(db)
    person = persons.get_or_create("whatsapp", "221770000043")
    states.save(person.id, {"slots": {"filiere": "solaire"}})
    with statements_run(db) as statements, unit_of_work(db):
        assert persons.find("whatsapp", "221770000043") == person
        assert states.load(person.id) == {"slots": {"filiere": "solaire"}}
        assert handoffs.open_ticket_for(person.id) is None
        assert statements == ["SELECT"]
        states.save(person.id, {"slots": {"filiere": "couture"}})
        assert states.load(person.id) == {"slots": {"filiere": "couture"}}
        ticket = handoffs.request(person.id, "whatsapp", None, {}, "")
        assert handoffs.open_ticket_for(person.id) == ticket
    with unit_of_work(db):
        persons.find("whatsapp", "221770000043")
        assert handoffs.open_ticket_for(person.id) == ticket  # read with the person this time


def test_someone_new_has_no_state_and_no_referent_without_asking_again(db):
    persons, states, handoffs = PersonRepository(db), SqlConversationStateStore(db), HandoffRepository(db)
    with statements_run(db) as statements, unit_of_work(db):
        person = persons.get_or_create("whatsapp", "221770000044")
        assert states.load(person.id) == {} and handoffs.open_ticket_for(person.id) is None
        # The look-up that found nobody, then the INSERT: nothing more.
        assert statements == ["SELECT", "INSERT"]


def test_a_turn_records_the_message_time_with_its_first_read(db):
    """The person wrote at ``at``: the turn's first statement records it (reachable again,
    last-inbound time) and reads the person, their state and their ticket; settling the
    turn later has nothing left to write for it."""
    persons, states, handoffs = PersonRepository(db), SqlConversationStateStore(db), HandoffRepository(db)
    person = persons.get_or_create("whatsapp", "221770000045")
    persons.mark_unreachable("whatsapp", "221770000045")
    states.save(person.id, {"slots": {"lieu": "Baïla"}})
    at = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=timezone.utc)
    with statements_run(db) as statements, unit_of_work(db):
        seen = persons.get_or_create("whatsapp", "221770000045", seen_at=at)
        assert seen.status == "active" and seen.last_inbound_at == at
        assert states.load(person.id) == {"slots": {"lieu": "Baïla"}}
        assert handoffs.open_ticket_for(person.id) is None
        persons.touch_inbound("whatsapp", "221770000045", at, create=False)
        assert statements == ["UPDATE"]
    with unit_of_work(db):
        new = persons.get_or_create("whatsapp", "221770000046", seen_at=at)
    assert new.last_inbound_at == at
    stored = persons.find("whatsapp", "221770000045")
    assert stored.status == "active" and stored.last_inbound_at == at
