from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.channels.whatsapp import SendOutcome
from bot.core.messages import Button, Reply
from tests.channels.whatsapp.conftest import T0, WA_ID


@pytest.fixture
def sender(channel):
    return channel.sender


async def test_inside_window_sends(sender, persons, graph_api):
    persons.touch_inbound("whatsapp", WA_ID, T0 - timedelta(hours=23))
    assert await sender.send(WA_ID, Reply("Bonjour")) is SendOutcome.SENT
    assert graph_api.bodies()[0]["text"]["body"] == "Bonjour"


async def test_outside_window_is_not_sent(sender, persons, graph_api, clock):
    assert await sender.send(WA_ID, Reply("Bonjour")) is SendOutcome.OUTSIDE_WINDOW  # never wrote
    persons.touch_inbound("whatsapp", WA_ID, T0)
    clock.advance(hours=24, seconds=1)
    assert await sender.send(WA_ID, Reply("Bonjour")) is SendOutcome.OUTSIDE_WINDOW
    assert graph_api.messages == []


async def test_naive_last_inbound_is_read_as_utc(sender, persons):
    persons.touch_inbound("whatsapp", WA_ID, (T0 - timedelta(hours=1)).replace(tzinfo=None))
    assert sender.within_window(WA_ID)


async def test_template_is_sent_outside_the_window(sender, graph_api):
    outcome = await sender.send_template(WA_ID, "journee_portes_ouvertes", parameters=["CFP Bignona", "12 mars"])
    assert outcome is SendOutcome.SENT
    template = graph_api.bodies()[0]["template"]
    assert template["name"] == "journee_portes_ouvertes"
    assert template["language"] == {"code": "fr"}
    assert template["components"][0]["parameters"] == [
        {"type": "text", "text": "CFP Bignona"},
        {"type": "text", "text": "12 mars"},
    ]


async def test_sent_messages_are_recorded_as_accepted(sender, persons, status_repo):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    await sender.send(WA_ID, Reply("Bonjour"))
    assert status_repo.status_counts("whatsapp") == {"accepted": 1}


async def test_unreachable_recipient_is_marked(sender, persons, graph_api, status_repo, caplog):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    graph_api.fail_for(WA_ID, 131026)
    with caplog.at_level(logging.DEBUG):
        outcome = await sender.send(WA_ID, Reply("Bonjour Awa"))
    assert outcome is SendOutcome.UNREACHABLE
    assert ("whatsapp", WA_ID) in persons.unreachable
    assert status_repo.error_counts("whatsapp") == {"131026": 1}
    assert "131026" in caplog.text
    assert WA_ID not in caplog.text and "Bonjour" not in caplog.text


async def test_other_errors_are_counted_and_stop_the_reply(sender, persons, graph_api, status_repo):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    graph_api.fail_for(WA_ID, 100, status=400)
    reply = Reply("x " * 3000, (Button("Oui", "/oui"),))  # text part + interactive part
    assert await sender.send(WA_ID, reply) is SendOutcome.FAILED
    assert len(graph_api.refused) == 1
    assert status_repo.error_counts("whatsapp") == {"100": 1}
    assert persons.unreachable == set()


async def test_meta_window_refusal_is_reported_as_outside_window(sender, persons, graph_api):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    graph_api.fail_for(WA_ID, 131047)
    assert await sender.send(WA_ID, Reply("Bonjour")) is SendOutcome.OUTSIDE_WINDOW


async def test_reply_buttons_versus_list_at_the_graph_api(sender, persons, graph_api):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    await sender.send(WA_ID, Reply("Oui ?", (Button("Oui", "/oui"), Button("Non", "/non"))))
    await sender.send(WA_ID, Reply("Lequel ?", tuple(Button(f"CFP {i}", f"/c{i}") for i in range(5))))
    first, second = graph_api.bodies()
    assert first["interactive"]["type"] == "button"
    assert second["interactive"]["type"] == "list"


async def test_long_text_split_at_the_graph_api(sender, persons, graph_api):
    persons.touch_inbound("whatsapp", WA_ID, T0)
    await sender.send(WA_ID, Reply("mot " * 2500))
    bodies = [b["text"]["body"] for b in graph_api.bodies()]
    assert len(bodies) == 3 and all(len(b) <= 4096 for b in bodies)
