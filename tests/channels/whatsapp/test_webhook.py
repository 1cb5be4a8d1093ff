from __future__ import annotations

import asyncio
import json

from bot.core.errors import ServiceUnavailable
from bot.core.messages import Button, Location, MessageKind, Reply
from tests.channels.whatsapp.conftest import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    T0,
    VERIFY_TOKEN,
    WA_ID,
    load,
    post_signed,
    sign,
    text_payload,
)

URL = "/webhooks/whatsapp"


# --- Meta's verification handshake -------------------------------------------------

async def test_verification_echoes_challenge_with_good_token(client):
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get(URL, params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_verification_refused_with_bad_token_or_mode(client):
    bad_token = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
    bad_mode = {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    for params in (bad_token, bad_mode, {}):
        response = await client.get(URL, params=params)
        assert response.status_code == 403
        assert "42" not in response.text


# --- Signature, size and shape checks ----------------------------------------------

async def test_missing_signature_is_401_and_nothing_processed(client, channel, handler, graph_api):
    raw = json.dumps(load("text.json")).encode()
    response = await client.post(URL, content=raw, headers={"Content-Type": "application/json"})
    await channel.join()
    assert response.status_code == 401
    assert handler.received == [] and graph_api.messages == []


async def test_forged_signature_is_403_and_nothing_processed(client, channel, handler, graph_api):
    response = await post_signed(client, load("text.json"), secret="not-the-app-secret")
    tampered_raw = json.dumps(load("text.json")).encode()
    tampered = await client.post(
        URL, content=tampered_raw + b" ", headers={"X-Hub-Signature-256": sign(tampered_raw)}
    )
    await channel.join()
    assert response.status_code == 403
    assert tampered.status_code == 403
    assert handler.received == [] and graph_api.messages == []


async def test_malformed_bodies_are_400(client, channel, handler):
    bodies = [b"not json", b"\xff\xfe\x00", b"[1, 2]", b'{"entry": "x"}', b'{"entry": [{"changes": [{"value": {"messages": [{"id": 1}]}}]}]}']
    for raw in bodies:
        response = await post_signed(client, raw)
        assert response.status_code == 400, raw
        assert "Traceback" not in response.text
    await channel.join()
    assert handler.received == []


async def test_oversize_body_is_413(client, handler):
    raw = b'{"entry": [], "pad": "' + b"x" * 1_100_000 + b'"}'
    response = await post_signed(client, raw)
    assert response.status_code == 413
    assert handler.received == []


# --- Messages in, replies out ------------------------------------------------------

async def test_text_is_answered_through_graph_api(client, channel, handler, persons, graph_api):
    response = await post_signed(client, load("text.json"))
    assert response.status_code == 200
    await channel.join()
    [message] = handler.received
    assert (message.channel, message.user_id, message.kind) == ("whatsapp", WA_ID, MessageKind.TEXT)
    assert message.text == "ou apprendre le solaire a bignona"
    assert message.display_name == "Awa"
    assert persons.last_inbound("whatsapp", WA_ID) is not None
    [sent] = graph_api.messages
    assert sent.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent.authorization == "Bearer test-token"
    assert sent.body["to"] == WA_ID
    assert sent.body["text"]["body"] == "Reçu : ou apprendre le solaire a bignona"


async def test_answer_is_200_before_the_core_has_finished(client, channel, handler, graph_api):
    handler.delays["lent"] = 0.3
    response = await asyncio.wait_for(post_signed(client, text_payload(WA_ID, "wamid.slow", "lent")), 0.2)
    assert response.status_code == 200
    assert graph_api.messages == []
    await channel.join()
    assert len(graph_api.messages) == 1


async def test_duplicate_delivery_is_handled_once(client, channel, handler, graph_api):
    payload = load("text.json")
    first = await post_signed(client, payload)
    again = await post_signed(client, payload)
    await channel.join()
    assert first.status_code == again.status_code == 200
    assert len(handler.received) == 1
    assert len(graph_api.messages) == 1


async def test_button_and_list_replies_reach_the_core_as_button(client, channel, handler):
    await post_signed(client, load("button_reply.json"))
    await post_signed(client, load("list_reply.json"))
    await channel.join()
    button, row = handler.received
    assert button.kind is MessageKind.BUTTON
    assert button.payload == '/search_training{"filiere": "solaire"}'
    assert button.text == "Solaire"
    assert row.kind is MessageKind.BUTTON
    assert row.payload == '/choose_centre{"centre": "CFP Bignona"}'


async def test_long_payload_round_trips_through_a_short_button_id(client, channel, handler, graph_api):
    long_payload = '/search_training{"filiere": "' + "é" * 300 + '"}'
    handler.replies = [Reply("Tu veux quoi ?", (Button("Ça", long_payload),))]
    await post_signed(client, text_payload(WA_ID, "wamid.a", "salut"))
    await channel.join()
    sent_id = graph_api.bodies()[0]["interactive"]["action"]["buttons"][0]["reply"]["id"]
    assert len(sent_id) <= 256
    pressed = load("button_reply.json")
    pressed["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["button_reply"]["id"] = sent_id
    handler.replies = []
    await post_signed(client, pressed)
    await channel.join()
    assert handler.received[-1].payload == long_payload


async def test_media_location_contacts_and_unknown_types(client, channel, handler):
    for name in ("voice.json", "image.json", "sticker.json", "location.json", "contacts.json", "unknown.json"):
        assert (await post_signed(client, load(name))).status_code == 200
    await channel.join()
    kinds = [m.kind for m in handler.received]
    assert kinds == [
        MessageKind.VOICE,
        MessageKind.IMAGE,
        MessageKind.STICKER,
        MessageKind.LOCATION,
        MessageKind.CONTACT,
        MessageKind.OTHER,
    ]
    assert handler.received[3].location == Location(12.8103, -16.2264)


async def test_voice_note_gets_the_cores_answer(client, channel, handler, graph_api):
    handler.replies = [Reply("Je ne peux pas écouter les messages vocaux. Écris-moi ta question.")]
    await post_signed(client, load("voice.json"))
    await channel.join()
    assert handler.received[0].kind is MessageKind.VOICE
    assert graph_api.bodies()[0]["text"]["body"].startswith("Je ne peux pas écouter")


async def test_core_failure_gets_a_french_apology(client, channel, handler, graph_api):
    handler.fail_with = ServiceUnavailable()
    await post_signed(client, load("text.json"))
    await channel.join()
    assert graph_api.bodies()[0]["text"]["body"] == ServiceUnavailable.user_message


async def test_status_updates_are_recorded_not_answered(client, channel, handler, graph_api, status_repo, persons):
    response = await post_signed(client, load("statuses.json"))
    await channel.join()
    assert response.status_code == 200
    assert handler.received == [] and graph_api.messages == []
    assert status_repo.status("whatsapp", "wamid.OUT000001") == "read"
    assert status_repo.status("whatsapp", "wamid.OUT000002") == "failed"
    assert status_repo.error_counts("whatsapp") == {"131026": 1}
    assert ("whatsapp", WA_ID) in persons.unreachable


async def test_messages_for_another_phone_number_are_ignored(client, channel, handler):
    payload = load("text.json")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert (await post_signed(client, payload)).status_code == 200
    await channel.join()
    assert handler.received == []


# --- Ordering ----------------------------------------------------------------------

async def test_each_persons_messages_in_order_others_concurrently(client, channel, handler, graph_api):
    other = "221770000009"
    handler.delays = {"un": 0.15, "deux": 0.05}
    for i, word in enumerate(["un", "deux", "trois"]):
        await post_signed(client, text_payload(WA_ID, f"wamid.a{i}", word))
    await post_signed(client, text_payload(other, "wamid.b0", "autre"))
    await channel.join()
    assert handler.finished.index("autre") < handler.finished.index("un")
    mine = [b["text"]["body"] for b in graph_api.bodies() if b["to"] == WA_ID]
    assert mine == ["Reçu : un", "Reçu : deux", "Reçu : trois"]


# --- Throttling through the whole path ---------------------------------------------

async def test_throttled_send_is_retried_then_succeeds(client, channel, graph_api):
    graph_api.throttle_next(2, how="130429")
    await post_signed(client, load("text.json"))
    await channel.join()
    assert len(graph_api.refused) == 2
    assert len(graph_api.messages) == 1


async def test_window_opened_by_inbound_message(client, channel, persons):
    await post_signed(client, load("text.json"))
    await channel.join()
    # The recorded message's own timestamp (2026-01-01 00:00 UTC) opens the window.
    assert persons.last_inbound("whatsapp", WA_ID) == T0.replace(minute=0)


async def test_signature_check_uses_the_raw_bytes(client, channel, handler):
    # Same JSON, different whitespace: a signature over the re-serialised body must fail.
    raw = json.dumps(load("text.json"), indent=2).encode()
    compact_sig = sign(json.dumps(json.loads(raw)).encode(), APP_SECRET)
    response = await client.post(URL, content=raw, headers={"X-Hub-Signature-256": compact_sig})
    assert response.status_code == 403
