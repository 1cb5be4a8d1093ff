"""`terrapro referent …` and `terrapro stats handoff`."""
from __future__ import annotations

import argparse
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from bot.handoff.cli import register
from bot.handoff.stats import compute
from bot.storage.handoff import HandoffRepository
from bot.storage.models import HandoffTicket
from bot.storage.persons import PersonRepository
from bot.storage.records import InvalidValue
from bot.storage.referents import ReferentRepository


def run(db, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="terrapro")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub, lambda: SimpleNamespace(db=db, handoffs=HandoffRepository(db)))
    args = parser.parse_args(list(argv))
    return args.run(args)


def test_add_list_remove(sqlite_db, capsys):
    assert run(sqlite_db, "referent", "add", "--name", "Awa Sané", "--telegram-id", "9001", "--bassin", "Fogny") == 0
    assert run(sqlite_db, "referent", "add", "--name", "Paul", "--telegram-id", "9002", "--role", "admin") == 0
    out = capsys.readouterr().out
    assert "Awa (Fogny, referent)" in out and "Sané" not in out
    run(sqlite_db, "referent", "list")
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2 and "Awa" in listing[0] and "tous bassins" in listing[1] and "admin" in listing[1]
    with pytest.raises(InvalidValue):
        run(sqlite_db, "referent", "add", "--name", "Awa", "--telegram-id", "9001")
    with pytest.raises(InvalidValue):
        run(sqlite_db, "referent", "add", "--name", "Awa", "--telegram-id", "@awa")
    with pytest.raises(SystemExit):
        run(sqlite_db, "referent", "add", "--name", "Awa", "--telegram-id", "9003", "--role", "boss")


def test_remove_puts_the_conversation_back_in_the_queue(sqlite_db, capsys):
    run(sqlite_db, "referent", "add", "--name", "Awa", "--telegram-id", "9001")
    handoffs = HandoffRepository(sqlite_db)
    person = PersonRepository(sqlite_db).get_or_create("telegram", "5001", "Moussa")
    ticket = handoffs.request(person.id, "telegram", "Fogny", {}, "s")
    handoffs.assign(ticket.id, 1)
    assert run(sqlite_db, "referent", "remove", "1") == 0
    assert handoffs.get(ticket.id).status == "waiting"
    assert run(sqlite_db, "referent", "remove", "1") == 1
    run(sqlite_db, "referent", "list")
    assert "Aucun référent" in capsys.readouterr().out


def test_stats_handoff(db, capsys):
    persons = PersonRepository(db)
    ReferentRepository(db).add("Awa", 900)
    handoffs = HandoffRepository(db)

    def ticket(n: int, bassin: str, wait: int | None, handling: int | None, rating: int | None):
        person = persons.get_or_create("whatsapp", f"22177000{n:04d}")
        t = handoffs.request(person.id, "whatsapp", bassin, {}, "s")
        if wait is None:
            return
        handoffs.assign(t.id, 1)
        if handling is not None:
            handoffs.close(t.id)
            if rating:
                handoffs.rate(t.id, person.id, rating)
        with db.session() as session:  # set the times the test needs
            session.execute(update(HandoffTicket).where(HandoffTicket.id == t.id).values(
                assigned_at=t.created_at + timedelta(minutes=wait),
                closed_at=t.created_at + timedelta(minutes=wait + (handling or 0)) if handling is not None else None))

    ticket(1, "Fogny", 4, 10, 5)
    ticket(2, "Fogny", 8, 30, 3)
    ticket(3, "Chambéry", 90, None, None)
    ticket(4, "Chambéry", None, None, None)
    total, per_bassin = compute(handoffs.all_tickets())
    assert total.waiting == 1 and total.assigned == 1 and total.closed == 2
    assert total.median_wait == timedelta(minutes=8)
    assert total.median_handling == timedelta(minutes=20)
    assert total.mean_rating == 4.0
    assert per_bassin["Fogny"].median_wait == timedelta(minutes=6)

    run(db, "stats", "handoff")
    out = capsys.readouterr().out
    assert "En attente maintenant : 1" in out
    assert "Attente médiane avant prise en charge : 8 min" in out
    assert "Durée médiane d'une conversation : 20 min" in out
    assert "3★ × 1, 5★ × 1 (moyenne 4.0)" in out
    assert "Chambéry" in out and "1 h 30" in out
