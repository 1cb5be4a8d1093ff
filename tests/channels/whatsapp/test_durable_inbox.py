"""Persist first, acknowledge second: what was answered 200 survives a crash of the worker."""
from __future__ import annotations

from datetime import timedelta

import httpx

from bot.channels.whatsapp import build_whatsapp
from bot.core.pump import QueuePump
from bot.web import create_app
from tests.channels.whatsapp.conftest import WA_ID, load, post_signed, text_payload


async def test_accepted_messages_are_answered_by_the_next_process(
    settings, handler, persons, status_repo, shared, clock, inbox_queue, graph_api
):
    # First "process": the webhook accepts, but its pump never runs (it crashed after the 200).
    dead = QueuePump(inbox_queue)
    first = build_whatsapp(settings, handler, persons, status_repo, shared, inbox=dead, clock=clock, backoff=0.01)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(first.routes)), base_url="http://t") as c:
        for n in range(3):
            assert (await post_signed(c, text_payload(WA_ID, f"wamid.c{n}", f"message {n}"))).status_code == 200
    await first.aclose()
    assert handler.received == [] and inbox_queue.backlog() == 3

    # Restart: a new pump over the same database answers every accepted message, in order.
    pump = QueuePump(inbox_queue, idle_poll=0.02)
    second = build_whatsapp(settings, handler, persons, status_repo, shared, inbox=pump, clock=clock, backoff=0.01)
    pump.start()
    await second.join()
    await pump.stop()
    await second.aclose()
    assert [m.text for m in handler.received] == ["message 0", "message 1", "message 2"]
    assert len(graph_api.messages) == 3


async def test_a_turn_cut_by_a_crash_is_handled_again_after_the_lease(
    settings, handler, persons, status_repo, shared, clock, inbox_queue, graph_api
):
    pump = QueuePump(inbox_queue, lease=timedelta(milliseconds=200), idle_poll=0.02)
    channel = build_whatsapp(settings, handler, persons, status_repo, shared, inbox=pump, clock=clock, backoff=0.01)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(channel.routes)), base_url="http://t") as c:
        await post_signed(c, text_payload(WA_ID, "wamid.mid", "coupé"))
    # A worker leased the row and died mid-turn.
    [leased] = inbox_queue.claim("crashed-worker", lease=timedelta(milliseconds=200))
    pump.start()
    await channel.join()
    await pump.stop()
    await channel.aclose()
    assert [m.text for m in handler.received] == ["coupé"]
    assert len(graph_api.messages) == 1


async def test_redelivery_after_processing_is_not_answered_twice(client, channel, handler, graph_api):
    payload = text_payload(WA_ID, "wamid.once", "bonjour")
    assert (await post_signed(client, payload)).status_code == 200
    await channel.join()
    assert (await post_signed(client, payload)).status_code == 200
    await channel.join()
    assert len(handler.received) == 1 and len(graph_api.messages) == 1


async def test_bad_bodies_are_4xx_and_one_bad_item_keeps_the_good_ones(client, channel, handler):
    deep = b"[" * 100_000 + b"]" * 100_000
    assert (await post_signed(client, deep)).status_code == 400
    only_bad = {"entry": [{"changes": [{"value": {"messages": ["x"], "statuses": [{"status": "read"}]}}]}]}
    assert (await post_signed(client, only_bad)).status_code == 400
    mixed = load("text.json")
    mixed["entry"][0]["changes"][0]["value"]["messages"].insert(0, {"from": WA_ID, "type": "text"})
    assert (await post_signed(client, mixed)).status_code == 200
    await channel.join()
    assert [m.text for m in handler.received] == ["ou apprendre le solaire a bignona"]


async def test_the_inbox_keeps_no_text_once_handled(client, channel, inbox_queue):
    await post_signed(client, text_payload(WA_ID, "wamid.txt", "mon secret"))
    await channel.join()
    from sqlalchemy import select

    from bot.storage.queue import InboxItem

    with inbox_queue._db.session() as s:
        rows = s.scalars(select(InboxItem)).all()
    assert rows and all(r.payload is None for r in rows)
