"""Several workers hitting the same rows at once (threads, real databases)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.storage.handoff import HandoffRepository
from bot.storage.models import HandoffTicket, Person
from bot.storage.persons import PersonRepository
from bot.storage.queue import DurableQueue, InboxItem
from bot.storage.referents import ReferentRepository

WORKERS = 12


def _all_at_once(fn, n=WORKERS):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_get_or_create_under_concurrency_gives_one_row(db):
    persons = PersonRepository(db)
    results = _all_at_once(lambda _: persons.get_or_create("whatsapp", "221771234567"))
    assert len({r.id for r in results}) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 1


def test_one_update_delivered_many_times_at_once_is_accepted_exactly_once(db):
    inbox = DurableQueue(db, InboxItem)
    results = _all_at_once(lambda _: inbox.accept("telegram", "update-991", "telegram:1", {"text": "salut"}))
    assert results.count(True) == 1
    assert results.count(False) == WORKERS - 1


def test_concurrent_handoff_requests_open_one_ticket(db):
    pid = PersonRepository(db).get_or_create("telegram", "1").id
    handoffs = HandoffRepository(db)
    results = _all_at_once(lambda i: handoffs.request(pid, "telegram", None, {}, f"s{i}"))
    assert len({t.id for t in results}) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(HandoffTicket)) == 1


def test_only_one_referent_wins_an_assignment(db):
    pid = PersonRepository(db).get_or_create("telegram", "1").id
    handoffs = HandoffRepository(db)
    ticket = handoffs.request(pid, "telegram", None, {}, "s")
    referent_ids = [ReferentRepository(db).add(f"Ref{i}", 1000 + i).id for i in range(WORKERS)]
    results = _all_at_once(lambda i: handoffs.assign(ticket.id, referent_id=referent_ids[i]))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert handoffs.get(ticket.id).referent_id == winners[0].referent_id
