from __future__ import annotations

import pytest

from bot.core.errors import BadInput
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.referents import ReferentRepository


@pytest.fixture
def persons(db):
    return PersonRepository(db)


@pytest.fixture
def handoffs(db):
    # Tickets refer to real referents (foreign key): ids 1 to 7 exist.
    referents = ReferentRepository(db)
    for n in range(1, 8):
        referents.add(f"Ref{n}", 1000 + n)
    return HandoffRepository(db)


TOPIC = {"intent": "ask_price", "filiere": "solaire", "lieu": "Bignona"}


def test_request_creates_a_waiting_ticket(persons, handoffs):
    pid = persons.get_or_create("telegram", "1").id
    ticket = handoffs.request(pid, "telegram", "Bignona-Kalounayes", TOPIC, "Prix formation solaire")
    assert ticket.status == "waiting"
    assert ticket.is_open
    assert ticket.topic == TOPIC
    assert ticket.summary == "Prix formation solaire"
    assert ticket.referent_id is None and ticket.assigned_at is None
    assert handoffs.open_ticket_for(pid) == ticket
    assert handoffs.get(ticket.id) == ticket


def test_second_request_returns_the_open_ticket(persons, handoffs):
    pid = persons.get_or_create("telegram", "1").id
    first = handoffs.request(pid, "telegram", None, TOPIC, "a")
    again = handoffs.request(pid, "telegram", None, {"intent": "other"}, "b")
    assert again.id == first.id
    assert again.summary == "a"
    handoffs.assign(first.id, referent_id=7)
    assert handoffs.request(pid, "telegram", None, TOPIC, "c").id == first.id


def test_new_ticket_after_the_previous_one_ends(persons, handoffs):
    pid = persons.get_or_create("telegram", "1").id
    first = handoffs.request(pid, "telegram", None, TOPIC, "a")
    assert handoffs.cancel(first.id) is True
    second = handoffs.request(pid, "telegram", None, TOPIC, "b")
    assert second.id != first.id
    assert handoffs.get(first.id).status == "cancelled"
    assert handoffs.get(first.id).closed_at is not None


def test_request_for_unknown_person_is_refused(handoffs):
    with pytest.raises(BadInput):
        handoffs.request(123456, "telegram", None, TOPIC, "x")


def test_queue_positions_and_waiting_list(persons, handoffs):
    tickets = [
        handoffs.request(persons.get_or_create("telegram", str(n)).id, "telegram", None, TOPIC, "s")
        for n in range(4)
    ]
    assert [handoffs.position_in_queue(t.id) for t in tickets] == [1, 2, 3, 4]
    assert [t.id for t in handoffs.waiting()] == [t.id for t in tickets]

    handoffs.assign(tickets[0].id, referent_id=3)
    handoffs.cancel(tickets[2].id)
    assert handoffs.position_in_queue(tickets[0].id) == 0
    assert handoffs.position_in_queue(tickets[1].id) == 1
    assert handoffs.position_in_queue(tickets[2].id) == 0
    assert handoffs.position_in_queue(tickets[3].id) == 2
    assert [t.id for t in handoffs.waiting()] == [tickets[1].id, tickets[3].id]
    assert handoffs.position_in_queue(999999) == 0


def test_assign_and_close_are_one_way(persons, handoffs):
    pid = persons.get_or_create("telegram", "1").id
    ticket = handoffs.request(pid, "telegram", None, TOPIC, "s")
    assigned = handoffs.assign(ticket.id, referent_id=5)
    assert (assigned.status, assigned.referent_id) == ("assigned", 5)
    assert assigned.assigned_at is not None
    assert handoffs.assign(ticket.id, referent_id=6) is None  # already taken

    closed = handoffs.close(ticket.id, closing_note="Orienté vers le CFP", rating=4)
    assert (closed.status, closed.rating, closed.closing_note) == ("closed", 4, "Orienté vers le CFP")
    assert handoffs.cancel(ticket.id) is False
    assert handoffs.close(ticket.id) is None
    assert handoffs.open_ticket_for(pid) is None


def test_close_rejects_out_of_range_rating(persons, handoffs):
    pid = persons.get_or_create("telegram", "1").id
    ticket = handoffs.request(pid, "telegram", None, TOPIC, "s")
    with pytest.raises(BadInput):
        handoffs.close(ticket.id, rating=9)
    assert handoffs.get(ticket.id).status == "waiting"
