"""The whole hand-off on SQLite and PostgreSQL: escalation → notification → claim → relay → close → rating."""
from __future__ import annotations

from bot.core.messages import MessageKind
from bot.storage.referents import NoticeRepository
from tests.handoff.conftest import World, make_world

AWA, IBOU, CLAIRE = "9001", "9002", "9003"
YOUNG = "5001"


def referents(world: World) -> dict[str, object]:
    repo = world.handoff.referents
    return {
        "awa": repo.add("Awa Sané", AWA, "Fogny"),
        "ibou": repo.add("Ibou", IBOU, "Fogny"),
        "claire": repo.add("Claire", CLAIRE, "Chambéry"),
    }


def buttons(sent) -> list[tuple[str, str]]:
    return [(b.title, b.payload) for b in sent.reply.buttons]


async def test_full_round_trip(world: World):
    referents(world)
    person = world.young(YOUNG)
    ticket = world.ask(person)

    # Announced to the present referents of the bassin only, with a "Prendre" button.
    assert await world.handoff.service.announce(ticket) is True
    for rid in (AWA, IBOU):
        [notice] = world.outbox.to(rid)
        assert "Solaire" in notice.reply.text and "Fogny" in notice.reply.text and "Moussa" in notice.reply.text
        assert YOUNG not in notice.reply.text
        [(title, payload)] = buttons(notice)
        assert "Prendre" in title and payload == f"/prendre {ticket.id}"
    assert world.outbox.to(CLAIRE) == []
    assert world.outbox.to(YOUNG) == []  # inside permanence hours: nothing more to say

    # Awa presses the button; Ibou's copy is edited, the young person is told.
    replies = await world.press(AWA, f"/prendre {ticket.id}", name="Awa")
    assert "Moussa" in replies[0].text and "Solaire" in replies[0].text
    assert world.outbox.edits_to(IBOU) == [f"Demande n°{ticket.id} (Fogny) : prise en charge par Awa."]
    assert any("Awa" in t and "répondre" in t for t in world.outbox.texts_to(YOUNG))
    too_late = await world.press(IBOU, f"/prendre {ticket.id}", name="Ibou")
    assert "déjà prise en charge par Awa" in too_late[0].text

    # Relay both ways; the bot says nothing while Awa handles the chat.
    world.outbox.clear()
    assert await world.say(YOUNG, "c'est combien la formation ?") == []
    assert await world.say(YOUNG, "", kind=MessageKind.IMAGE) == []
    assert await world.say(YOUNG, "écoute", kind=MessageKind.VOICE) == []
    assert world.core.answered == []
    assert world.outbox.texts_to(AWA) == [
        "Moussa : c'est combien la formation ?", "Moussa : [photo]", "Moussa : [message vocal] écoute"]
    assert await world.say(AWA, "25 000 FCFA l'inscription", name="Awa") == []
    assert world.outbox.texts_to(YOUNG) == ["Awa (référent·e) : 25 000 FCFA l'inscription"]

    # /terminer hands back to the bot and asks for a rating.
    world.outbox.clear()
    done = await world.say(AWA, "/terminer orienté vers le CFP", name="Awa")
    assert "terminée" in done[0].text
    [ask] = world.outbox.to(YOUNG)
    assert [p for _, p in buttons(ask)] == [f"/noter {ticket.id} {n}" for n in range(1, 6)]
    closed = world.handoffs.get(ticket.id)
    assert closed.status == "closed" and closed.closing_note == "orienté vers le CFP"

    assert "Merci" in (await world.press(YOUNG, f"/noter {ticket.id} 4"))[0].text
    assert world.handoffs.get(ticket.id).rating == 4
    assert "déjà" in (await world.press(YOUNG, f"/noter {ticket.id} 1"))[0].text
    assert world.handoffs.get(ticket.id).rating == 4

    # Back to the bot.
    assert (await world.say(YOUNG, "merci"))[0].text == "BOT: merci"


async def test_waiting_person_still_gets_the_bot_and_can_cancel(world: World):
    referents(world)
    person = world.young(YOUNG)
    ticket = world.ask(person)
    await world.handoff.service.announce(ticket)
    assert (await world.say(YOUNG, "formation couture"))[0].text == "BOT: formation couture"
    replies = await world.say(YOUNG, "Annulé stp")
    assert "annulé" in replies[0].text
    assert world.handoffs.get(ticket.id).status == "cancelled"
    assert any("annulée par le jeune" in t for t in world.outbox.edits_to(AWA))
    assert (await world.say(YOUNG, "bonjour"))[0].text == "BOT: bonjour"


async def test_cancel_and_stop_while_assigned(world: World):
    referents(world)
    first = world.ask(world.young(YOUNG))
    await world.press(AWA, f"/prendre {first.id}", name="Awa")
    assert "annulé" in (await world.say(YOUNG, "annuler"))[0].text
    assert "a annulé" in world.outbox.texts_to(AWA)[-1]
    assert (await world.say(AWA, "tu es là ?", name="Awa"))[0].text.startswith("Tu n'as pas de conversation")

    second = world.ask(world.young(YOUNG))
    await world.press(AWA, f"/prendre {second.id}", name="Awa")
    # STOP closes the request, then the bot handles STOP (unsubscribe) as usual.
    assert (await world.say(YOUNG, "STOP"))[0].text == "BOT: STOP"
    assert world.handoffs.get(second.id).status == "cancelled"
    assert "STOP" in world.outbox.texts_to(AWA)[-1]
    # A long sentence mentioning "annuler" is a message for the referent, not a cancellation.
    third = world.ask(world.young(YOUNG))
    await world.press(AWA, f"/prendre {third.id}", name="Awa")
    assert await world.say(YOUNG, "je voulais pas annuler la formation en fait") == []
    assert world.handoffs.get(third.id).status == "assigned"


async def test_non_referent_gets_the_normal_bot(world: World):
    referents(world)
    ticket = world.ask(world.young(YOUNG))
    for command in ("/file", f"/prendre {ticket.id}", "/terminer", "/present"):
        replies = await world.say("7777", command, name="Lamine")
        assert replies[0].text == f"BOT: {command}"
    assert world.handoffs.get(ticket.id).status == "waiting"
    assert world.handoff.referents.by_telegram_id("7777") is None
    # A young person's WhatsApp id equal to a referent's Telegram id is still a young person.
    assert (await world.say(AWA, "/file", channel="whatsapp"))[0].text == "BOT: /file"


async def test_whatsapp_young_person_and_telegram_referent(world: World):
    referents(world)
    wa = "221770000001"
    person = world.young(wa, channel="whatsapp", name="Fatou")
    ticket = world.ask(person)
    await world.handoff.service.announce(ticket)
    notice = world.outbox.to(AWA)[0]
    assert notice.channel == "telegram" and "WhatsApp" in notice.reply.text and wa not in notice.reply.text
    await world.press(AWA, f"/prendre {ticket.id}", name="Awa")
    assert await world.say(wa, "bonjour madame", channel="whatsapp", name="Fatou") == []
    assert world.outbox.to(AWA)[-1].reply.text == "Fatou : bonjour madame"
    await world.say(AWA, "Bonjour Fatou !", name="Awa")
    last = world.outbox.to(wa)[-1]
    assert last.channel == "whatsapp" and last.reply.text == "Awa (référent·e) : Bonjour Fatou !"


async def test_console_queue_take_next_one_at_a_time_and_transfer(world: World):
    team = referents(world)
    a = world.ask(world.young("5001", name="Moussa", bassin="Chambéry"))
    b = world.ask(world.young("5002", name="Binta", bassin="Fogny"))
    [queue] = await world.say(AWA, "/file", name="Awa")
    assert "File d'attente (2)" in queue.text and "Binta" in queue.text
    assert [x.payload for x in queue.buttons] == [f"/prendre {a.id}", f"/prendre {b.id}"]
    assert all("Prendre" in x.title for x in queue.buttons)

    # /prendre without a number: the oldest of her own bassin first.
    taken = await world.say(AWA, "/prendre", name="Awa")
    assert "Binta" in taken[0].text
    busy = await world.say(AWA, f"/prendre {a.id}", name="Awa")
    assert "une conversation à la fois" in busy[0].text
    assert world.handoffs.get(a.id).status == "waiting"

    world.outbox.clear()
    moved = await world.say(AWA, f"/transferer {b.id}", name="Awa")
    assert "rendue à la file" in moved[0].text
    again = world.handoffs.get(b.id)
    assert again.status == "waiting" and again.referent_id is None
    assert "repasse dans la file" in world.outbox.texts_to("5002")[0]
    # Re-announced at once to the bassin's present referents.
    assert [s.external_id for s in world.outbox.sent if "Demande n°" in s.reply.text] == [AWA, IBOU]
    assert team  # keeps the names in the failure output
    assert "Commandes référent" in (await world.press(AWA, "/help", name="Awa"))[0].text
    assert "inconnue" in (await world.say(AWA, "/n_importe_quoi", name="Awa"))[0].text
    assert "Indique un numéro" in (await world.say(AWA, "/prendre douze", name="Awa"))[0].text


async def test_routing_falls_back_to_everyone_then_tells_the_young_person(world: World):
    repo = world.handoff.referents
    service = world.handoff.service
    claire = repo.add("Claire", CLAIRE, "Chambéry")
    awa = repo.add("Awa", AWA, "Fogny")
    repo.set_present(awa.id, False)
    # Nobody present in Fogny: every present referent.
    assert [r.name for r in service.recipients("Fogny")] == ["Claire"]
    repo.set_present(claire.id, False)
    # Nobody present at all: every referent.
    assert [r.name for r in service.recipients("Fogny")] == ["Claire", "Awa"]
    repo.remove(claire.id)
    repo.remove(awa.id)

    person = world.young(YOUNG)
    ticket = world.ask(person)
    await service.announce(ticket)
    [told] = world.outbox.texts_to(YOUNG)
    assert "Aucun référent" in told and "reste dans la file" in told
    # The insertion cell of a centre in the young person's bassin (Fogny).
    assert "insertion" in told and "CFP de Baïla" in told
    assert world.handoffs.get(ticket.id).status == "waiting"
    world.clock.advance(minutes=16)
    await world.handoff.worker.run_once()
    assert len(world.outbox.texts_to(YOUNG)) == 1  # told once, not at every round


async def test_permanence_hours_message(world: World):
    referents(world)
    world.clock.now = world.clock.now.replace(hour=20)  # Wednesday 20:00 in Bignona
    ticket = world.ask(world.young(YOUNG))
    await world.handoff.service.announce(ticket)
    [told] = world.outbox.texts_to(YOUNG)
    assert "demain à 9h00" in told and "reste dans la file" in told
    assert len(world.outbox.to(AWA)) == 1  # referents still get it
    assert world.handoffs.get(ticket.id).status == "waiting"


async def test_renotify_after_n_minutes_to_everyone(world: World):
    referents(world)
    ticket = world.ask(world.young(YOUNG))
    assert await world.handoff.worker.run_once() == 1
    assert await world.handoff.worker.run_once() == 0  # announced once only
    assert world.outbox.to(CLAIRE) == []
    world.clock.advance(minutes=14)
    assert await world.handoff.worker.run_once() == 0
    world.clock.advance(minutes=2)
    assert await world.handoff.worker.run_once() == 1
    again = world.outbox.to(CLAIRE)
    assert len(again) == 1 and "Toujours sans réponse" in again[0].reply.text
    assert len(world.outbox.to(AWA)) == 2
    # Claiming now edits every copy, both rounds.
    await world.press(CLAIRE, f"/prendre {ticket.id}", name="Claire")
    assert len(world.outbox.edits_to(AWA)) == 2 and len(world.outbox.edits_to(IBOU)) == 2


async def test_restart_with_a_waiting_ticket(world: World):
    referents(world)
    # The ticket was created, then the process died before announcing it.
    ticket = world.ask(world.young(YOUNG))
    restarted = world.rebuilt()
    assert await restarted.handoff.worker.run_once() == 1
    assert len(restarted.outbox.to(AWA)) == 1
    replies = await restarted.press(AWA, f"/prendre {ticket.id}", name="Awa")
    assert "Moussa" in replies[0].text
    # Another restart while assigned: the relay still works, no second announcement.
    again = make_world(world.db, world.clock, world.outbox)
    assert await again.handoff.worker.run_once() == 0
    assert await again.say(YOUNG, "toujours là ?") == []
    assert again.outbox.texts_to(AWA)[-1] == "Moussa : toujours là ?"


async def test_notices_are_remembered_for_editing(world: World):
    referents(world)
    ticket = world.ask(world.young(YOUNG))
    await world.handoff.service.announce(ticket)
    notices = NoticeRepository(world.db).notices(ticket.id)
    assert sorted(n.message_ref for n in notices) == sorted(s.ref for s in world.outbox.sent)
