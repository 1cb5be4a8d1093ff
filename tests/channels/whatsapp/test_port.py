"""The WhatsApp outbound port with the real GraphClient against the fake Graph API."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.channels.whatsapp import build_whatsapp
from bot.channels.whatsapp.port import (
    REASON_CONNECT,
    REASON_NO_TEMPLATE,
    REASON_OUTSIDE_WINDOW,
    REASON_WINDOW_CLOSED,
)
from bot.core.messages import Button, Reply
from bot.core.outbound import Lane, SendStatus
from tests.channels.whatsapp.conftest import T0, WA_ID
from tests.fakes.processes import free_port

WA = "whatsapp"


@pytest.fixture
def port(channel):
    return channel.port


@pytest.fixture
async def templated_port(settings, handler, persons, status_repo, shared, clock):
    templated = settings.model_copy(update={"whatsapp_broadcast_template": "annonce_tp"})
    built = build_whatsapp(templated, handler, persons, status_repo, shared, clock=clock, backoff=0.01)
    yield built.port
    await built.aclose()


async def test_inside_window_sends(port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0 - timedelta(hours=23))
    result = await port.send(WA, WA_ID, Reply("Bonjour"))
    assert result.status is SendStatus.SENT and result.message_ref
    assert graph_api.bodies()[0]["text"]["body"] == "Bonjour"


async def test_outside_window_a_reply_is_not_sent(port, persons, graph_api, clock):
    result = await port.send(WA, WA_ID, Reply("Bonjour"))  # never wrote
    assert (result.status, result.reason) == (SendStatus.WINDOW_CLOSED, REASON_OUTSIDE_WINDOW)
    persons.touch_inbound(WA, WA_ID, T0)
    clock.advance(hours=24, seconds=1)
    assert (await port.send(WA, WA_ID, Reply("Bonjour"))).status is SendStatus.WINDOW_CLOSED
    assert graph_api.messages == []


async def test_outside_window_a_broadcast_goes_as_the_template(templated_port, graph_api):
    result = await templated_port.send(WA, WA_ID, Reply("Portes ouvertes samedi"), Lane.BULK)
    assert result.status is SendStatus.SENT
    template = graph_api.bodies()[0]["template"]
    assert template["name"] == "annonce_tp" and template["language"] == {"code": "fr"}
    assert template["components"][0]["parameters"] == [{"type": "text", "text": "Portes ouvertes samedi"}]


async def test_outside_window_without_template_a_broadcast_is_window_closed(port, graph_api):
    result = await port.send(WA, WA_ID, Reply("Portes ouvertes"), Lane.BULK)
    assert (result.status, result.reason) == (SendStatus.WINDOW_CLOSED, REASON_NO_TEMPLATE)
    assert graph_api.messages == []


async def test_window_closing_meanwhile_falls_back_to_template_for_broadcasts(templated_port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0)
    graph_api.fail_for(WA_ID, 131047)
    result = await templated_port.send(WA, WA_ID, Reply("Portes ouvertes"), Lane.BULK)
    # The fake refuses every message to this number, the template too: Meta's verdict is kept.
    assert (result.status, result.reason) == (SendStatus.WINDOW_CLOSED, REASON_WINDOW_CLOSED)
    assert [r.body["type"] for r in graph_api.refused] == ["text", "template"]


async def test_naive_last_inbound_is_read_as_utc(port, persons):
    persons.touch_inbound(WA, WA_ID, (T0 - timedelta(hours=1)).replace(tzinfo=None))
    assert await port.within_window(WA_ID)


async def test_sent_messages_are_recorded_as_accepted(port, persons, status_repo):
    persons.touch_inbound(WA, WA_ID, T0)
    await port.send(WA, WA_ID, Reply("Bonjour"))
    assert status_repo.status_counts(WA) == {"accepted": 1}


async def test_unreachable_recipient_is_marked(port, persons, graph_api, status_repo, caplog):
    persons.touch_inbound(WA, WA_ID, T0)
    graph_api.fail_for(WA_ID, 131026)
    with caplog.at_level(logging.DEBUG):
        result = await port.send(WA, WA_ID, Reply("Bonjour Awa"))
    assert result.status is SendStatus.UNREACHABLE
    assert (WA, WA_ID) in persons.unreachable
    assert status_repo.error_counts(WA) == {"131026": 1}
    assert "131026" in caplog.text
    assert WA_ID not in caplog.text and "Bonjour" not in caplog.text


async def test_other_errors_are_counted_and_stop_the_reply(port, persons, graph_api, status_repo):
    persons.touch_inbound(WA, WA_ID, T0)
    graph_api.fail_for(WA_ID, 100, status=400)
    reply = Reply("x " * 3000, (Button("Oui", "/oui"),))  # text part + interactive part
    assert (await port.send(WA, WA_ID, reply)).status is SendStatus.FAILED
    assert len(graph_api.refused) == 1
    assert status_repo.error_counts(WA) == {"100": 1}
    assert persons.unreachable == set()


async def test_meta_window_refusal_is_window_closed(port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0)
    graph_api.fail_for(WA_ID, 131047)
    assert (await port.send(WA, WA_ID, Reply("Bonjour"))).status is SendStatus.WINDOW_CLOSED


async def test_reply_buttons_versus_list_at_the_graph_api(port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0)
    await port.send(WA, WA_ID, Reply("Oui ?", (Button("Oui", "/oui"), Button("Non", "/non"))))
    await port.send(WA, WA_ID, Reply("Lequel ?", tuple(Button(f"CFP {i}", f"/c{i}") for i in range(5))))
    first, second = graph_api.bodies()
    assert first["interactive"]["type"] == "button"
    assert second["interactive"]["type"] == "list"


async def test_long_text_split_at_the_graph_api(port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0)
    await port.send(WA, WA_ID, Reply("mot " * 2500))
    bodies = [b["text"]["body"] for b in graph_api.bodies()]
    assert len(bodies) == 3 and all(len(b) <= 4096 for b in bodies)


async def test_whatsapp_has_its_own_limiter_not_telegrams(port, settings):
    assert port.limiter.rate == settings.whatsapp_send_rate


async def test_a_broadcast_whose_answer_is_lost_is_uncertain_and_not_sent_again(port, persons, graph_api):
    persons.touch_inbound(WA, WA_ID, T0 - timedelta(hours=1))
    graph_api.drop_answer_next(1)
    result = await port.send(WA, WA_ID, Reply("annonce"), Lane.BULK)
    assert result.status is SendStatus.UNCERTAIN
    assert len(graph_api.messages) == 1


async def test_connection_refused_is_not_sent(settings, handler, persons, status_repo, shared, clock):
    persons.touch_inbound(WA, WA_ID, T0 - timedelta(hours=1))
    down = settings.model_copy(update={"whatsapp_api_base_url": f"http://127.0.0.1:{free_port()}/v21.0"})
    built = build_whatsapp(down, handler, persons, status_repo, shared, clock=clock, backoff=0.01)
    hook_calls = []

    async def on_write() -> None:
        hook_calls.append(1)

    try:
        for lane in (Lane.BULK, Lane.PRIORITY):
            result = await built.port.send(WA, WA_ID, Reply("annonce"), lane, on_write=on_write)
            assert (result.status, result.reason) == (SendStatus.NOT_SENT, REASON_CONNECT)
    finally:
        await built.aclose()
    assert hook_calls == [1, 1]  # once per send, right before the (refused) request
