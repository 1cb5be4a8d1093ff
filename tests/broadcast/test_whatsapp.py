from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.broadcast.ports import Outgoing, Recipient, SendStatus
from bot.broadcast.whatsapp import REASON_NO_TEMPLATE, WhatsAppRecipientSender
from tests.broadcast.conftest import NOW, FakeClock


@dataclass
class FakeWhatsApp:
    """Same calls and outcome values as bot.channels.whatsapp.sender.WhatsAppSender."""

    calls: list[tuple] = field(default_factory=list)
    outcome: str = "sent"

    async def send(self, wa_id, reply):
        self.calls.append(("text", wa_id, reply.text))
        return self.outcome

    async def send_template(self, wa_id, template_name, language="fr", parameters=()):
        self.calls.append(("template", wa_id, template_name, language, tuple(parameters)))
        return "sent"


def _recipient(hours_ago: float | None) -> Recipient:
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return Recipient(person_id=1, channel="whatsapp", external_id="221770000000", last_inbound_at=last)


MESSAGE = Outgoing("Portes ouvertes samedi", template_parameters=("Portes ouvertes samedi",))


async def test_inside_the_window_a_normal_message():
    wa = FakeWhatsApp()
    result = await WhatsAppRecipientSender(wa, "annonce_tp", clock=FakeClock()).send(_recipient(23.5), MESSAGE)
    assert result.status is SendStatus.SENT
    assert wa.calls == [("text", "221770000000", "Portes ouvertes samedi")]


async def test_outside_the_window_the_approved_template():
    wa = FakeWhatsApp()
    result = await WhatsAppRecipientSender(wa, "annonce_tp", clock=FakeClock()).send(_recipient(25), MESSAGE)
    assert result.status is SendStatus.SENT
    assert wa.calls == [("template", "221770000000", "annonce_tp", "fr", ("Portes ouvertes samedi",))]


async def test_outside_the_window_without_template_is_skipped_with_reason():
    wa = FakeWhatsApp()
    for hours in (None, 24.0, 300):
        result = await WhatsAppRecipientSender(wa, "", clock=FakeClock()).send(_recipient(hours), MESSAGE)
        assert result.status is SendStatus.SKIPPED
        assert result.reason == REASON_NO_TEMPLATE == "hors fenêtre 24 h, pas de modèle"
        assert not result.attempted
    assert wa.calls == []


async def test_window_closing_meanwhile_falls_back_to_template():
    wa = FakeWhatsApp(outcome="outside_window")
    result = await WhatsAppRecipientSender(wa, "annonce_tp", clock=FakeClock()).send(_recipient(1), MESSAGE)
    assert result.status is SendStatus.SENT
    assert [c[0] for c in wa.calls] == ["text", "template"]


async def test_unreachable_number():
    wa = FakeWhatsApp(outcome="unreachable")
    result = await WhatsAppRecipientSender(wa, "", clock=FakeClock()).send(_recipient(1), MESSAGE)
    assert result.status is SendStatus.UNREACHABLE


async def test_campaign_mixing_channels_records_whatsapp_skips(add_people, persons, make_broadcast, sender, clock):
    add_people(2)
    wa_ids = add_people(3, channel="whatsapp", prefix="2217")
    persons.touch_inbound("whatsapp", "22170", NOW - timedelta(hours=2))  # inside the window
    wa = FakeWhatsApp()
    b = make_broadcast({"telegram": sender, "whatsapp": WhatsAppRecipientSender(wa, "", clock=clock)})
    summary = await b.service.send(b.service.create("x", territoire="bignona").id)
    assert len(wa_ids) == 3
    assert (summary.sent, summary.skipped) == (3, 2)
    assert summary.skip_reasons == {"hors fenêtre 24 h, pas de modèle": 2}
    assert wa.calls == [("text", "22170", "x")]
