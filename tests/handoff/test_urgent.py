"""Urgent (distress) requests in the queue, on SQLite and PostgreSQL: first in line, announced to
every present referent, re-announced sooner, the trigger shown to the referent who takes it."""
from __future__ import annotations

from datetime import timedelta

from bot.core.distress import Detection
from bot.core.messages import IncomingMessage
from bot.handoff.stats import UrgentFigures, render
from tests.handoff.conftest import World

AWA, IBOU, CLAIRE, PAUL = "9001", "9002", "9003", "9004"
SUICIDE = Detection("suicide", "fr")


def team(world: World):
    repo = world.handoff.referents
    awa, ibou = repo.add("Awa", AWA, "Fogny"), repo.add("Ibou", IBOU, "Fogny")
    claire, paul = repo.add("Claire", CLAIRE, "Chambéry"), repo.add("Paul", PAUL, "Chambéry")
    repo.set_present(paul.id, False)
    return awa, ibou, claire, paul


async def test_urgent_ticket_is_first_and_announced_to_every_present_referent(world: World):
    awa, _ibou, claire, _paul = team(world)
    earlier = world.ask(world.young("5001"))  # an ordinary request, older
    await world.handoff.service.announce(earlier)
    world.outbox.clear()
    world.clock.advance(minutes=1)

    young = world.young("5002", name="Fatou")
    alarm = await world.handoff.urgent.raise_alarm(young, "je veux mourir, appelle moi au 77 123 45 67", SUICIDE)
    assert alarm.created and alarm.referents_present and alarm.holder is None

    waiting = world.handoffs.waiting()
    assert [t.id for t in waiting] == [alarm.ticket_id, earlier.id]
    assert world.handoffs.position_in_queue(alarm.ticket_id) == 1
    assert world.handoffs.position_in_queue(earlier.id) == 2
    urgent = waiting[0]
    assert urgent.urgent and urgent.topic["distress"] == "suicide"
    assert "77 123" not in urgent.trigger_text and "je veux mourir" in urgent.trigger_text

    # Every present referent, whatever their bassin; not the absent one; nothing about the text.
    for rid in (AWA, IBOU, CLAIRE):
        [notice] = world.outbox.to(rid)
        assert "URGENT" in notice.reply.text and "Fatou" in notice.reply.text
        assert "mourir" not in notice.reply.text
    assert world.outbox.to(PAUL) == []
    # The person was answered by the core (help lines): no extra "nobody"/hours message.
    assert world.outbox.to("5002") == []

    # /file lists it first, marked.
    [queue] = await world.handoff.console.handle(awa, IncomingMessage("telegram", AWA, text="/file"))
    assert queue.text.splitlines()[1].startswith(f"🚨 n°{alarm.ticket_id}")
    # /prendre with no number takes the urgent one, even for a referent of another bassin.
    replies = await world.handoff.service.take_next(claire)
    assert "je veux mourir" in replies[0].text and "déclenché" in replies[0].text
    assert world.handoffs.get(alarm.ticket_id).referent_id == claire.id
    # The queue shows the ordinary one; its referent Awa takes it without any trigger text.
    replies = await world.handoff.service.take_next(awa)
    assert "déclenché" not in replies[0].text


async def test_urgent_requests_are_announced_again_sooner(world: World):
    team(world)
    normal = world.ask(world.young("5001"))
    await world.handoff.service.announce(normal)
    alarm = await world.handoff.urgent.raise_alarm(world.young("5002"), "mon père me frappe", Detection("violence", "fr"))
    world.outbox.clear()

    world.clock.advance(minutes=2)
    assert await world.handoff.worker.run_once() == 0
    world.clock.advance(minutes=2)  # 4 min: past the urgent delay (3), not the normal one (15)
    assert await world.handoff.worker.run_once() == 1
    again = world.outbox.texts_to(AWA)
    assert len(again) == 1 and "URGENT" in again[0] and "toujours sans réponse" in again[0]
    assert f"n°{alarm.ticket_id}" in again[0]
    world.clock.advance(minutes=12)  # 16 min: now the ordinary one too
    assert await world.handoff.worker.run_once() == 2


async def test_second_distress_message_adds_to_the_same_ticket(world: World):
    team(world)
    young = world.young("5002")
    first = await world.handoff.urgent.raise_alarm(young, "je veux mourir", SUICIDE)
    world.outbox.clear()
    second = await world.handoff.urgent.raise_alarm(young, "jvé me tuer ce soir", SUICIDE)
    assert second.ticket_id == first.ticket_id and not second.created
    [ticket] = world.handoffs.waiting()
    assert "je veux mourir" in ticket.trigger_text and "me tuer ce soir" in ticket.trigger_text
    assert world.outbox.sent == []  # already urgent and announced: the worker re-announces it


async def test_an_ordinary_request_becomes_urgent_and_is_announced_to_everyone(world: World):
    team(world)
    young = world.young("5001")
    normal = world.ask(young)
    await world.handoff.service.announce(normal)
    assert world.outbox.to(CLAIRE) == []  # bassin Fogny only
    alarm = await world.handoff.urgent.raise_alarm(young, "mon patron a pris mon passeport", Detection("exploitation", "fr"))
    assert alarm.ticket_id == normal.id and not alarm.created
    ticket = world.handoffs.get(normal.id)
    assert ticket.urgent and ticket.topic["distress"] == "exploitation" and ticket.topic["last_intent"] == "ask_price"
    assert any("URGENT" in text for text in world.outbox.texts_to(CLAIRE))


async def test_the_referent_holding_the_chat_gets_the_message_flagged_urgent(world: World):
    awa, *_ = team(world)
    young = world.young("5001")
    ticket = world.ask(young)
    await world.handoff.service.claim(awa, ticket.id)
    world.outbox.clear()
    alarm = await world.handoff.urgent.raise_alarm(young, "mon oncle me touche", Detection("abus_sexuel", "fr"))
    assert alarm.holder == "Awa" and alarm.ticket_id == ticket.id
    [flagged] = world.outbox.texts_to(AWA)
    assert flagged.startswith("🚨 URGENT") and "mon oncle me touche" in flagged
    assert world.outbox.to(IBOU) == [] and world.handoffs.get(ticket.id).status == "assigned"


async def test_nobody_present(world: World):
    repo = world.handoff.referents
    awa = repo.add("Awa", AWA, "Fogny")
    repo.set_present(awa.id, False)
    alarm = await world.handoff.urgent.raise_alarm(world.young("5001"), "je suis en danger", Detection("danger", "fr"))
    assert alarm.created and not alarm.referents_present
    # Still announced to the (absent) referents so someone may see it; the person is not told twice.
    assert any("URGENT" in text for text in world.outbox.texts_to(AWA))
    assert world.outbox.to("5001") == []


async def test_the_trigger_is_deleted_with_the_person(world: World):
    young = world.young("5001")
    alarm = await world.handoff.urgent.raise_alarm(young, "je veux mourir", SUICIDE)
    assert world.handoffs.get(alarm.ticket_id).trigger_text
    assert world.persons.delete_everything(young.id)
    assert world.handoffs.get(alarm.ticket_id) is None


async def test_stats_count_urgent_requests_and_their_wait(world: World):
    awa, ibou, *_ = team(world)
    first = await world.handoff.urgent.raise_alarm(world.young("5001"), "je veux mourir", SUICIDE)
    second = await world.handoff.urgent.raise_alarm(world.young("5002"), "au secours", Detection("danger", "fr"))
    await world.handoff.urgent.raise_alarm(world.young("5003"), "il me frappe", Detection("violence", "fr"))
    world.ask(world.young("5004"))
    await world.handoff.service.claim(awa, first.ticket_id)
    await world.handoff.service.claim(ibou, second.ticket_id)

    tickets = world.handoffs.all_tickets()
    later = max(t.created_at for t in tickets) + timedelta(minutes=7)
    figures = UrgentFigures.of(tickets, later)
    assert figures.tickets == 3 and figures.waiting == 1 and len(figures.waits) == 2
    assert figures.waiting_now[0] >= timedelta(minutes=7)
    text = render(tickets, later)
    assert "Demandes urgentes (détresse) : 3" in text and "médiane" in text and "max" in text
    assert "Urgentes en attente maintenant : 1" in text
