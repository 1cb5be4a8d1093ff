"""Notifications through Redis: any worker that can send on a channel delivers them."""
from __future__ import annotations

import asyncio

from bot.core.messages import Button, Reply
from bot.handoff.bus import RedisBus, RedisConsumer
from bot.handoff.notifications import Notification
from bot.storage.referents import NoticeRepository
from tests.handoff.conftest import FakeOutbox, make_world


def test_notification_json_round_trip():
    original = Notification("telegram", "9001", Reply("Demande n°3 — é ✓", (Button("Prendre n°3", "/prendre 3"),)),
                            edit_ref=None, notice_for=(3, 7))
    assert Notification.from_json(original.to_json()) == original


async def test_announce_claim_and_relay_through_redis(sqlite_db, async_redis_client):
    world = make_world(sqlite_db, redis_client=async_redis_client)
    assert isinstance(world.handoff.bus, RedisBus)
    consumer = world.handoff.consumer
    world.handoff.referents.add("Awa", "9001", "Fogny")
    world.handoff.referents.add("Ibou", "9002", "Fogny")
    ticket = world.ask(world.young("5001"))

    await world.handoff.service.announce(ticket)
    # Published, not yet delivered: another worker may be the one to send it.
    assert world.outbox.sent == []
    assert await async_redis_client.llen("terrapro:notify:telegram") == 2
    assert await consumer.run_once(timeout=1) and await consumer.run_once(timeout=1)
    assert sorted(s.external_id for s in world.outbox.sent) == ["9001", "9002"]
    assert len(NoticeRepository(sqlite_db).notices(ticket.id)) == 2

    await world.press("9001", f"/prendre {ticket.id}", name="Awa")
    while await consumer.run_once(timeout=0.2):
        pass
    assert world.outbox.edits_to("9002") == [f"Demande n°{ticket.id} (Fogny) : prise en charge par Awa."]
    assert any("Awa" in t for t in world.outbox.texts_to("5001"))

    assert await world.say("5001", "merci !") == []
    assert await consumer.run_once(timeout=1)
    assert world.outbox.texts_to("9001")[-1] == "Moussa : merci !"
    assert await consumer.run_once(timeout=0.1) is False


async def test_a_worker_only_takes_the_channels_it_can_send(async_redis_client):
    bus = RedisBus(async_redis_client)
    outbox = FakeOutbox()

    class Dispatcher:
        async def dispatch(self, notification):
            await outbox.send(notification.channel, notification.external_id, notification.reply)

    telegram_only = RedisConsumer(bus, Dispatcher(), ["telegram"])
    await bus.publish(Notification("whatsapp", "221770000001", Reply("Awa (référent·e) : bonjour")))
    await bus.publish(Notification("telegram", "9001", Reply("Fatou : bonjour")))
    assert await telegram_only.run_once(timeout=0.2)
    assert await telegram_only.run_once(timeout=0.2) is False
    assert [s.external_id for s in outbox.sent] == ["9001"]
    assert await async_redis_client.llen("terrapro:notify:whatsapp") == 1
    # A malformed entry is dropped, not fatal.
    await async_redis_client.rpush("terrapro:notify:telegram", "{not json")
    assert await telegram_only.run_once(timeout=0.2) is False
    assert await async_redis_client.llen("terrapro:notify:telegram") == 0


async def test_consumer_task_starts_and_stops(sqlite_db, async_redis_client):
    world = make_world(sqlite_db, redis_client=async_redis_client)
    world.handoff.referents.add("Awa", "9001")
    ticket = world.ask(world.young("5001"))
    world.handoff.start()
    try:
        await world.handoff.service.announce(ticket)
        for _ in range(100):
            if world.outbox.to("9001"):
                break
            await asyncio.sleep(0.02)
        assert len(world.outbox.to("9001")) == 1
    finally:
        await world.handoff.stop()
