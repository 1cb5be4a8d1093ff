"""Exactly one referent gets a ticket, however many press "Prendre" at once."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.handoff.conftest import make_world

CLAIMS = 50


def _race(world, ticket_id: int, referents: list) -> list[str]:
    barrier = threading.Barrier(len(referents))

    def claim(referent) -> str:
        barrier.wait()
        replies = asyncio.run(world.handoff.service.claim(referent, ticket_id))
        return replies[0].text

    with ThreadPoolExecutor(max_workers=len(referents)) as pool:
        return list(pool.map(claim, referents))


@pytest.mark.parametrize("claims", [CLAIMS])
def test_fifty_concurrent_claims_on_postgres_one_winner(postgres_db, claims):
    world = make_world(postgres_db)
    referents = [world.handoff.referents.add(f"Ref{i}", 10_000 + i, "Fogny") for i in range(claims)]
    person = world.young("5001")
    ticket = world.ask(person)
    asyncio.run(world.handoff.service.announce(ticket))
    assert len([s for s in world.outbox.sent if "Prendre" in s.reply.buttons[0].title]) == claims

    results = _race(world, ticket.id, referents)

    winners = [r for r in results if r.startswith("Tu parles maintenant")]
    assert len(winners) == 1
    assert all("Trop tard" in r for r in results if r not in winners)
    final = world.handoffs.get(ticket.id)
    assert final.status == "assigned"
    winner = world.handoff.referents.get(final.referent_id)
    assert all(f"par {winner.name}" in r for r in results if r not in winners)
    # One "someone will answer you" for the young person, every announcement edited once.
    assert len([t for t in world.outbox.texts_to("5001") if "va te répondre" in t]) == 1
    assert len(world.outbox.edits) == claims


def test_concurrent_claims_on_sqlite_one_winner(sqlite_db):
    world = make_world(sqlite_db)
    referents = [world.handoff.referents.add(f"Ref{i}", 10_000 + i) for i in range(20)]
    ticket = world.ask(world.young("5001"))
    results = _race(world, ticket.id, referents)
    assert len([r for r in results if r.startswith("Tu parles maintenant")]) == 1
