"""An admin closes a ticket from the web console: nobody is left waiting without knowing."""
from __future__ import annotations

from tests.handoff.conftest import make_world


async def test_closing_an_assigned_ticket_tells_both_sides(sqlite_db):
    world = make_world(sqlite_db)
    awa = world.handoff.referents.add("Awa", 9001, "Fogny")
    person = world.young("5001")
    ticket = world.ask(person)
    world.handoffs.assign(ticket.id, awa.id)
    closed = await world.handoff.service.close_by_admin(ticket.id, "doublon")
    assert closed.status == "closed" and closed.closing_note == "doublon"
    to_young = [s for s in world.outbox.sent if s.external_id == "5001"]
    assert "Awa a terminé" in to_young[-1].reply.text and to_young[-1].reply.buttons
    assert any("fermée par un·e administrateur" in s.reply.text for s in world.outbox.sent if s.external_id == "9001")
    assert await world.handoff.service.close_by_admin(ticket.id) is None


async def test_closing_a_waiting_ticket_tells_the_young_person_and_edits_notices(sqlite_db):
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", 9001, "Fogny")
    ticket = world.ask(world.young("5002"))
    await world.handoff.service.announce(ticket)
    await world.handoff.service.close_by_admin(ticket.id)
    assert "clos ta demande" in [s for s in world.outbox.sent if s.external_id == "5002"][-1].reply.text
    assert any("fermée depuis la console" in edit[3].text for edit in world.outbox.edits)
