"""Replies through the durable outbox: written with the turn, never repeated by a replay."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.inbox import build_inbox_pump
from bot.channels.replies import ReplyOutbox
from bot.core.messages import IncomingMessage, MessageKind, Reply, message_from_dict, message_to_dict
from bot.core.outbound import Lane, SendResult
from bot.core.pump import Receipt, handling
from bot.handoff.notifications import Notification
from bot.settings import Settings
from bot.storage.queue import DONE, DurableQueue, InboxItem, OutboxItem, QueueItem

WA_ID = "221770000042"
SENT_AT = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


class RecordingPort:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, datetime | None]] = []

    async def send(self, channel, external_id, reply: Reply, lane=Lane.PRIORITY, *, replying_to=None,
                   on_write=None) -> SendResult:
        self.sent.append((external_id, reply.text, replying_to))
        return SendResult.ok(f"m{len(self.sent)}")

    async def edit(self, channel, external_id, message_ref, reply) -> SendResult:
        return SendResult.failed("no edit")


@pytest.fixture(scope="module")
def nlu_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
def app(tmp_path, nlu_cache):
    built = App(Settings(data_dir=tmp_path, nlu_cache_dir=nlu_cache, database_url="", redis_url=""))
    built.db.create_schema()
    yield built
    built.close()


class Turns:
    """The inbox handler a channel has, minus the platform: the core, answering through the outbox."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.replies = ReplyOutbox(app.db, app.handoff.bus, app.persons)
        self.handled = 0
        self.die_after_turn = False

    async def __call__(self, payload: dict) -> None:
        self.handled += 1
        message = message_from_dict(payload["message"])
        await self.app.conversation.handle(message, settle=self.replies.settle("whatsapp", message.user_id, SENT_AT))
        if self.die_after_turn:
            # The process dies right after the turn's commit, before the pump could record anything.
            raise asyncio.CancelledError


def receive(pump, text: str, message_id: str) -> None:
    message = IncomingMessage(channel="whatsapp", user_id=WA_ID, text=text, kind=MessageKind.TEXT, message_id=message_id)
    assert pump.accept("whatsapp", message_id, f"whatsapp:{WA_ID}", {"message": message_to_dict(message)})


def rows(app: App, table) -> list[tuple[str, int]]:
    with app.db.session() as session:
        return [(r.status, r.attempts) for r in session.execute(select(table.status, table.attempts).order_by(table.id))]


async def test_replies_and_the_handled_message_commit_with_the_turn(app):
    port = RecordingPort()
    app.handoff.ports.register("whatsapp", port)
    inbox = build_inbox_pump(app.settings, app.db)
    turns = Turns(app)
    inbox.register("whatsapp", turns)
    inbox.start()
    app.handoff.outbox.start()
    try:
        receive(inbox, "formation solaire", "wamid.1")
        await inbox.drain(timeout=60)
        await app.handoff.outbox.drain()
    finally:
        await inbox.stop()
        await app.handoff.outbox.stop()
    assert rows(app, InboxItem) == [(DONE, 1)]
    assert [status for status, _ in rows(app, OutboxItem)] == [DONE]
    [(to, text, replying_to)] = port.sent
    assert to == WA_ID and "Aldabar" in text
    assert replying_to == SENT_AT  # WhatsApp's window counts from the message answered
    assert app.persons.last_inbound("whatsapp", WA_ID) == SENT_AT


async def test_a_crash_after_the_commit_sends_the_queued_replies_once_and_never_replays_the_turn(app):
    inbox = build_inbox_pump(app.settings, app.db)
    turns = Turns(app)
    turns.die_after_turn = True
    inbox.register("whatsapp", turns)
    inbox.start()
    try:
        # No port yet: the turn commits, nothing is sent, and the process "dies".
        receive(inbox, "formation couture", "wamid.2")
        for _ in range(600):
            if turns.handled:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    finally:
        await inbox.stop()
    # Marked handled by the turn's own commit, not by the pump (which never got there).
    assert rows(app, InboxItem) == [(DONE, 1)]
    assert [status for status, _ in rows(app, OutboxItem)] == ["queued"]

    # "Restart": a process with the channel delivers what was queued; the turn is not run again.
    port = RecordingPort()
    app.handoff.ports.register("whatsapp", port)
    turns.die_after_turn = False
    restarted = build_inbox_pump(app.settings, app.db)
    restarted.register("whatsapp", turns)
    restarted.start()
    app.handoff.outbox.start()
    try:
        app.handoff.outbox.wake()
        await app.handoff.outbox.drain()
        await restarted.drain(timeout=60)
    finally:
        await restarted.stop()
        await app.handoff.outbox.stop()
    assert turns.handled == 1
    assert len(port.sent) == 1 and "couture" in port.sent[0][1].lower()


async def test_a_turn_rolled_back_leaves_no_reply_behind(app):
    """The outbox rows written by a turn that fails are rolled back with it: only the apology goes."""
    port = RecordingPort()
    app.handoff.ports.register("whatsapp", port)
    replies = ReplyOutbox(app.db, app.handoff.bus, app.persons)
    calls = []

    def failing_once(settle):
        def wrapped(answers):
            settle(answers)  # staged in the turn's transaction...
            calls.append(len(answers))
            if len(calls) == 1:
                raise RuntimeError("disk full")  # ...which then fails
        return wrapped

    app.handoff.outbox.start()
    try:
        message = IncomingMessage(channel="whatsapp", user_id=WA_ID, text="formation solaire", kind=MessageKind.TEXT)
        answered = await app.conversation.handle(message, settle=failing_once(replies.settle("whatsapp", WA_ID, SENT_AT)))
        await app.handoff.outbox.drain()
    finally:
        await app.handoff.outbox.stop()
    assert len(calls) == 2
    assert [text for _, text, _ in port.sent] == [answered[0].text]
    assert "Aldabar" not in answered[0].text  # the apology, not the rolled-back results


def test_what_a_replayed_row_publishes_is_recognised_not_written_twice(app):
    """A referent's relay published while handling inbox row N has the same key when N is handled again."""
    queue = DurableQueue(app.db, InboxItem)
    item = QueueItem(7, "telegram", "u1", "telegram:1", {}, 1, SENT_AT)
    for _attempt in range(2):  # the first handling, then the replay after a crash
        receipt = Receipt(item, queue)
        notification = Notification("whatsapp", WA_ID, Reply("Réponse du référent"))
        asyncio.run(_publish_under(app, receipt, notification))
    with app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1


async def _publish_under(app: App, receipt: Receipt, notification: Notification) -> None:
    with handling(receipt):
        await app.handoff.bus.publish(notification)


def test_an_inbox_row_keeps_when_the_message_was_sent():
    at = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=timezone.utc)
    message = IncomingMessage("whatsapp", WA_ID, text="solaire", sent_at=at)
    stored = json.loads(json.dumps(message_to_dict(message)))  # the inbox payload is JSON
    assert message_from_dict(stored) == message
    assert message_from_dict(message_to_dict(IncomingMessage("cli", "awa"))).sent_at is None
