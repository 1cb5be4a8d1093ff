from __future__ import annotations

from enum import Enum

from bot.core.messages import Reply
from bot.handoff.outbox import ChannelOutbox, TelegramOutbox, WhatsAppOutbox


class Outcome(str, Enum):
    SENT = "sent"
    OUTSIDE_WINDOW = "outside_window"
    BLOCKED = "blocked"


class FakeWhatsAppSender:
    def __init__(self, outcome):
        self.outcome, self.sent = outcome, []

    async def send(self, wa_id, reply):
        self.sent.append((wa_id, reply.text))
        return self.outcome


class FakeTelegramSender:
    def __init__(self, outcome):
        self.outcome, self.edited = outcome, []

    async def send_with_id(self, chat_id, reply):
        return self.outcome, 42

    async def edit_text(self, chat_id, message_id, reply):
        self.edited.append((chat_id, message_id, reply.text))


async def test_whatsapp_outbox_sends_and_cannot_edit():
    sender = FakeWhatsAppSender(Outcome.SENT)
    outbox = WhatsAppOutbox(sender)
    ref = await outbox.send("whatsapp", "221770000001", Reply("Awa (référent·e) : bonjour"))
    assert ref is not None and ref.message_id is None
    await outbox.edit("whatsapp", "221770000001", "x", Reply("edited"))
    assert sender.sent == [("221770000001", "Awa (référent·e) : bonjour")]
    # Outside the 24-hour window nothing is delivered, and the caller knows.
    assert await WhatsAppOutbox(FakeWhatsAppSender(Outcome.OUTSIDE_WINDOW)).send("whatsapp", "1", Reply("x")) is None


async def test_telegram_outbox_returns_the_message_id_and_edits():
    sender = FakeTelegramSender(Outcome.SENT)
    outbox = TelegramOutbox(sender)
    assert (await outbox.send("telegram", "9001", Reply("x"))).message_id == "42"
    await outbox.edit("telegram", "9001", "42", Reply("pris"))
    assert sender.edited == [("9001", "42", "pris")]
    assert await TelegramOutbox(FakeTelegramSender(Outcome.BLOCKED)).send("telegram", "9001", Reply("x")) is None


async def test_channel_outbox_routes_and_drops_unknown_channels():
    outbox = ChannelOutbox()
    sender = FakeWhatsAppSender(Outcome.SENT)
    outbox.register("whatsapp", WhatsAppOutbox(sender))
    assert outbox.channels == ("whatsapp",)
    assert await outbox.send("telegram", "9001", Reply("x")) is None
    assert await outbox.send("whatsapp", "221770000001", Reply("y")) is not None
    assert sender.sent == [("221770000001", "y")]
