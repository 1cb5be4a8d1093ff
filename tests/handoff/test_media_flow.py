"""A WhatsApp voice note through the real core and hand-off: offer, accept, referent takes it, relay both ways."""
from __future__ import annotations

import asyncio
import copy
from datetime import date

import httpx
import pytest
from telegram import Bot

from bot.app import build_services
from bot.channels.inbox import build_inbox_pump
from bot.channels.telegram.media import TelegramMedia, file_base_url
from bot.channels.whatsapp import build_whatsapp
from bot.channels.whatsapp.media import build_whatsapp_media
from bot.core.messages import IncomingMessage, MediaRef, MessageKind
from bot.settings import Settings
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.web import create_app
from tests.channels.whatsapp.conftest import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, Clock, load, post_signed
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.handoff.conftest import FakeOutbox

YOUNG = "221770000001"  # the sender in tests/data/whatsapp/voice.json
MEDIA_ID = "1234567890123456"
AWA = "9001"
VOICE = b"OggS" + b"\x01" * 3000


@pytest.fixture(scope="module")
def nlu_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
async def world(tmp_path, nlu_cache_dir):
    graph_api, bot_api = FakeGraphAPI().start(), FakeTelegramAPI().start()
    settings = Settings(
        data_dir=tmp_path / "data", nlu_cache_dir=nlu_cache_dir, redis_url="", database_url="",
        whatsapp_token="test-token", whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_base_url=graph_api.base_url, whatsapp_verify_token=VERIFY_TOKEN, whatsapp_app_secret=APP_SECRET,
    )
    services = build_services(settings, today=lambda: date(2026, 1, 1))
    inbox = build_inbox_pump(settings, services.db)
    inbox.start()
    whatsapp = build_whatsapp(settings, services.conversation, services.persons,
                              DeliveryStatusRepository(services.db), services.shared, inbox=inbox, clock=Clock())
    referents = FakeOutbox()
    handoff = services.handoff
    handoff.ports.register("telegram", referents)
    handoff.ports.register("whatsapp", whatsapp.port)
    media = build_whatsapp_media(settings, whatsapp.graph, whatsapp.port.within_window, limiter=whatsapp.port.limiter)
    handoff.media.register("whatsapp", media)
    handoff.outbox.start()  # as `serve` does: what a turn writes to the outbox is sent from there
    async with Bot(TOKEN, base_url=bot_api.base_url, base_file_url=file_base_url(bot_api.base_url)) as bot:
        handoff.media.register("telegram", TelegramMedia(bot))
        yield services, whatsapp, referents, graph_api, bot_api
    await handoff.outbox.stop()
    await inbox.stop()
    await media.aclose()
    await whatsapp.aclose()
    services.close()
    graph_api.stop()
    bot_api.stop()


def _wa_texts(graph_api) -> list[str]:
    return [b.get("text", {}).get("body") or b.get("interactive", {}).get("body", {}).get("text", "")
            for b in graph_api.bodies() if b.get("to") == YOUNG]


async def _eventually(check, timeout: float = 5.0) -> None:
    """Relays triggered by a turn run on the event loop after the turn: wait for them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not relayed in time"
        await asyncio.sleep(0.02)


async def _post(whatsapp, payload) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(whatsapp.routes)), base_url="http://t") as client:
        assert (await post_signed(client, payload)).status_code == 200
    await whatsapp.join()


def _text(body: str, n: int):
    payload = load("text.json")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update({"from": YOUNG, "id": f"wamid.T{n}", "text": {"body": body}})
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = YOUNG
    return payload


def _voice(message_id: str, media_id: str = MEDIA_ID):
    payload = copy.deepcopy(load("voice.json"))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"], message["audio"]["id"] = message_id, media_id
    return payload


async def test_voice_note_offer_accept_take_and_reply(world):
    services, whatsapp, referents, graph_api, bot_api = world
    awa = services.handoff.referents.add("Awa", AWA)
    graph_api.add_media(MEDIA_ID, VOICE, "audio/ogg; codecs=opus")

    await _post(whatsapp, _voice("wamid.V1"))
    offer = graph_api.bodies()[-1]["interactive"]
    assert "écouter les messages vocaux moi-même" in offer["body"]["text"]
    assert [b["reply"]["title"] for b in offer["action"]["buttons"]] == ["Oui, à un référent"]
    assert bot_api.uploads == []  # nothing leaves before the young person says yes

    await _post(whatsapp, _text("oui je veux parler a un referent", 1))
    [ticket] = services.handoffs.waiting()
    await services.handoff.service.claim(awa, ticket.id)
    [(method, chat_id, upload)] = bot_api.uploads
    assert (method, chat_id, upload.data) == ("sendVoice", int(AWA), VOICE)
    caption = bot_api.calls_to("sendVoice")[0].params["caption"]
    assert caption == f"Awa · demande n°{ticket.id} : [message vocal]"  # WhatsApp profile « Awa Diatta »
    assert "media" not in services.handoffs.get(ticket.id).topic  # relayed once, reference dropped

    # The referent answers with a voice note of their own.
    bot_api.add_file("tg-answer", VOICE[::-1])
    answer = MediaRef("telegram", "tg-answer", "voice", "audio/ogg", len(VOICE))
    await services.handoff.handler(services.conversation).handle(
        IncomingMessage("telegram", AWA, kind=MessageKind.VOICE, media=answer, display_name="Awa"))
    [(upload_id, uploaded)] = graph_api.uploads
    assert uploaded.data == VOICE[::-1]
    assert graph_api.bodies()[-1]["audio"] == {"id": upload_id}

    # A second voice note while the referent holds the chat goes straight to them.
    graph_api.add_media("m2", VOICE, "audio/ogg")
    await _post(whatsapp, _voice("wamid.V2", "m2"))
    await _eventually(lambda: len(bot_api.uploads) == 2)


async def _held_by_awa(services, whatsapp) -> None:
    awa = services.handoff.referents.add("Awa", AWA)
    await _post(whatsapp, _text("je veux parler a un referent", 1))
    [ticket] = services.handoffs.waiting()
    await services.handoff.service.claim(awa, ticket.id)


async def test_expired_voice_note_the_young_person_is_told(world):
    services, whatsapp, referents, graph_api, bot_api = world
    await _held_by_awa(services, whatsapp)
    await _post(whatsapp, _voice("wamid.V9", "never-stored"))  # Meta no longer has it
    await _eventually(lambda: "n'est plus disponible" in _wa_texts(graph_api)[-1])
    assert bot_api.uploads == []


async def test_referent_told_when_the_whatsapp_window_is_closed(world):
    services, whatsapp, referents, graph_api, bot_api = world
    await _held_by_awa(services, whatsapp)
    graph_api.fail_for(YOUNG, 131047)
    bot_api.add_file("tg-photo", b"\xff\xd8\xff" + b"j" * 100)
    await services.handoff.handler(services.conversation).handle(IncomingMessage(
        "telegram", AWA, kind=MessageKind.IMAGE, media=MediaRef("telegram", "tg-photo", "image", "image/jpeg")))
    assert "plus de 24 h" in referents.texts_to(AWA)[-1]
