"""Hand-off notifications through the durable outbox: written first, delivered at once when
possible, otherwise by the outbox pump of any process that has the channel, with retries."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.core.messages import Button, Reply
from bot.core.outbound import SendResult
from bot.handoff.notifications import Notification
from bot.storage.queue import DEAD, DONE, DurableQueue, OutboxItem
from tests.handoff.conftest import make_world


def test_notification_json_round_trip():
    original = Notification("telegram", "9001", Reply("Demande n°3 — é ✓", (Button("Prendre n°3", "/prendre 3"),)),
                            edit_ref=None, notice_for=(3, 7), on_failure=("telegram", "9001", "Moussa"))
    assert Notification.from_json(original.to_json()) == original


def outbox_rows(db) -> list[OutboxItem]:
    with db.session() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def test_delivered_at_once_and_recorded_without_its_text(sqlite_db):
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    ticket = world.ask(world.young("5001"))
    await world.handoff.service.announce(ticket)
    assert len(world.outbox.to("9001")) == 1
    [row] = outbox_rows(sqlite_db)
    assert row.status == DONE and row.payload is None  # the text is gone once delivered


async def test_a_process_without_the_channel_leaves_it_to_one_that_has_it(sqlite_db):
    whatsapp_only = make_world(sqlite_db, channels=("whatsapp",))
    whatsapp_only.handoff.referents.add("Awa", "9001", "Fogny")
    ticket = whatsapp_only.ask(whatsapp_only.young("5001"))
    await whatsapp_only.handoff.service.announce(ticket)
    assert whatsapp_only.outbox.sent == []
    assert DurableQueue(sqlite_db, OutboxItem).backlog() == 1

    telegram = make_world(sqlite_db, channels=("telegram",))  # another process
    telegram.handoff.start()
    try:
        for _ in range(200):
            if telegram.outbox.to("9001"):
                break
            await asyncio.sleep(0.02)
    finally:
        await telegram.handoff.stop()
    assert len(telegram.outbox.to("9001")) == 1
    assert DurableQueue(sqlite_db, OutboxItem).backlog() == 0


async def test_written_before_a_crash_is_delivered_after_restart(db):
    world = make_world(db)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    # Written, then the process died before delivering (nothing claimed it).
    DurableQueue(db, OutboxItem).accept(
        "telegram", "n:crash", "telegram:9001", {"notification": Notification("telegram", "9001", Reply("relais")).to_json()}
    )
    restarted = world.rebuilt()
    restarted.handoff.start()
    try:
        for _ in range(200):
            if restarted.outbox.texts_to("9001"):
                break
            await asyncio.sleep(0.02)
    finally:
        await restarted.handoff.stop()
    assert restarted.outbox.texts_to("9001") == ["relais"]


async def test_a_platform_later_is_retried_and_order_per_person_kept(sqlite_db):
    world = make_world(sqlite_db)
    world.outbox.scripted["5001"] = [SendResult.retry_later(0.05)]
    bus = world.handoff.bus
    await bus.publish(Notification("telegram", "5001", Reply("premier")))
    await bus.publish(Notification("telegram", "5001", Reply("second")))
    assert world.outbox.texts_to("5001") == []  # the first waits, the second waits behind it
    world.handoff.start()
    try:
        for _ in range(300):
            if len(world.outbox.texts_to("5001")) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        await world.handoff.stop()
    assert world.outbox.texts_to("5001") == ["premier", "second"]


async def test_a_platform_that_cannot_be_reached_is_tried_again_not_given_up(sqlite_db, monkeypatch):
    monkeypatch.setattr("bot.handoff.notifications.NOT_SENT_RETRY", 0.05)
    world = make_world(sqlite_db)
    world.outbox.scripted["5001"] = [SendResult.not_sent("connexion impossible")]
    await world.handoff.bus.publish(Notification("telegram", "5001", Reply("relais"), on_failure=("telegram", "9001", "Moussa")))
    assert world.outbox.texts_to("5001") == []
    world.handoff.start()
    try:
        for _ in range(300):
            if world.outbox.texts_to("5001"):
                break
            await asyncio.sleep(0.02)
    finally:
        await world.handoff.stop()
    assert world.outbox.texts_to("5001") == ["relais"]
    assert world.outbox.texts_to("9001") == []  # nobody told of a failure that did not happen


async def test_a_relay_that_can_never_arrive_is_reported_to_the_referent(sqlite_db):
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    young = world.young("221770000009", channel="whatsapp", name="Fatou")
    ticket = world.ask(young)
    await world.press("9001", f"/prendre {ticket.id}", name="Awa")
    world.outbox.scripted["221770000009"] = [SendResult.window_closed("outside the 24-hour window")]
    await world.say("9001", "Bonjour Fatou, tu es là ?", name="Awa")
    told = world.outbox.texts_to("9001")[-1]
    assert "Fatou" in told and "24 h" in told and "pas parti" in told
    dead = [r for r in outbox_rows(sqlite_db) if r.status == DEAD]
    assert len(dead) == 1 and dead[0].last_error.startswith("window_closed")


async def test_a_relay_still_not_sent_after_its_last_attempt_is_reported_to_the_referent(sqlite_db, monkeypatch):
    """Every attempt got "later" (the platform unreachable): once the queue gives the row up,
    the referent hears that the message did not leave, like any other final failure."""
    monkeypatch.setattr("bot.handoff.notifications.NOT_SENT_RETRY", 0.02)
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    ticket = world.ask(world.young("5001", name="Fatou"))
    await world.press("9001", f"/prendre {ticket.id}", name="Awa")
    max_attempts = DurableQueue(sqlite_db, OutboxItem).max_attempts
    world.outbox.scripted["5001"] = [SendResult.not_sent("connexion impossible")] * max_attempts
    await world.say("9001", "Bonjour Fatou, tu es là ?", name="Awa")
    world.handoff.start()
    try:
        for _ in range(500):
            if any("pas parti" in text for text in world.outbox.texts_to("9001")):
                break
            await asyncio.sleep(0.02)
    finally:
        await world.handoff.stop()
    told = world.outbox.texts_to("9001")[-1]
    assert "Fatou" in told and "pas parti" in told
    assert not any("tu es là" in text for text in world.outbox.texts_to("5001"))
    dead = [r for r in outbox_rows(sqlite_db) if r.status == DEAD]
    assert len(dead) == 1 and dead[0].attempts == max_attempts and dead[0].last_error == "not_sent"


async def test_a_message_handled_again_after_a_crash_is_relayed_once(sqlite_db):
    """Its turn committed the relay, then the process died before the inbox row was marked
    done: the message is handled again, and relays nothing new."""
    world = make_world(sqlite_db)
    world.handoff.referents.add("Awa", "9001", "Fogny")
    ticket = world.ask(world.young("5001"))
    await world.press("9001", f"/prendre {ticket.id}", name="Awa")
    for _ in range(2):
        await world.say("5001", "tu es là ?", message_id="wamid.77")
        await world.say("9001", "oui !", name="Awa", message_id="1077")
    assert world.outbox.texts_to("9001").count("Moussa : tu es là ?") == 1
    assert world.outbox.texts_to("5001").count("Awa (référent·e) : oui !") == 1
    await world.say("5001", "tu es là ?", message_id="wamid.78")  # the same words, a new message
    await world.say("9001", "oui !", name="Awa")  # no platform id: nothing to dedupe on
    await world.say("9001", "oui !", name="Awa")
    assert world.outbox.texts_to("9001").count("Moussa : tu es là ?") == 2
    assert world.outbox.texts_to("5001").count("Awa (référent·e) : oui !") == 3
