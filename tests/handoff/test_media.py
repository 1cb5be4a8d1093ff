"""Voice notes and photos relayed both ways through the real transports, at the fake Graph and Bot APIs."""
from __future__ import annotations

import tempfile

import httpx
import pytest
from telegram import Bot

from bot.channels.ratelimit import SlidingWindowLimiter
from bot.channels.telegram.media import TelegramMedia, file_base_url
from bot.channels.whatsapp.graph import GraphClient
from bot.channels.whatsapp.media import WhatsAppMedia
from bot.core.messages import MediaRef
from bot.handoff.media import MB, MediaRelay
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

PHONE_NUMBER_ID = "123456789012345"
YOUNG = "221770000001"
REFERENT = "9001"
VOICE = b"OggS" + bytes(range(256)) * 40
PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg" * 500


@pytest.fixture
def graph_api():
    fake = FakeGraphAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def bot_api():
    fake = FakeTelegramAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Temporary media files land here, so the test can check none is left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


class Window:
    open = True

    async def __call__(self, wa_id: str) -> bool:
        return self.open


@pytest.fixture
async def relay(graph_api, bot_api, private_tmp):
    window = Window()
    http = httpx.AsyncClient()
    graph = GraphClient(base_url=graph_api.base_url, phone_number_id=PHONE_NUMBER_ID, token="test-token",
                        max_attempts=1)
    relay = MediaRelay()
    relay.register("whatsapp", WhatsAppMedia(http, graph, base_url=graph_api.base_url, phone_number_id=PHONE_NUMBER_ID,
                                             token="test-token", within_window=window,
                                             # The number's limiter: one send per 0.2 s here.
                                             limiter=SlidingWindowLimiter(5, window=0.2)))
    async with Bot(TOKEN, base_url=bot_api.base_url, base_file_url=file_base_url(bot_api.base_url)) as bot:
        relay.register("telegram", TelegramMedia(bot))
        relay.window = window
        yield relay
    await http.aclose()
    await graph.aclose()


def _no_temp_files_left(directory) -> bool:
    return not [p for p in directory.iterdir() if p.name.startswith("terrapro-media-")]


async def test_whatsapp_voice_reaches_the_referent_as_a_telegram_voice(relay, graph_api, bot_api, private_tmp):
    graph_api.add_media("m-voice", VOICE, "audio/ogg; codecs=opus")
    media = MediaRef("whatsapp", "m-voice", "voice", "audio/ogg; codecs=opus")
    assert await relay.relay(media, "telegram", REFERENT, "Fatou · demande n°3 : [message vocal]") is None
    [(method, chat_id, upload)] = bot_api.uploads
    assert (method, chat_id, upload.data) == ("sendVoice", int(REFERENT), VOICE)
    assert bot_api.calls_to("sendVoice")[0].params["caption"] == "Fatou · demande n°3 : [message vocal]"
    assert _no_temp_files_left(private_tmp)


async def test_whatsapp_photo_reaches_the_referent_as_a_telegram_photo(relay, graph_api, bot_api):
    graph_api.add_media("m-photo", PHOTO, "image/jpeg")
    assert await relay.relay(MediaRef("whatsapp", "m-photo", "image"), "telegram", REFERENT, "Fatou") is None
    assert [(m, u.data) for m, _c, u in bot_api.uploads] == [("sendPhoto", PHOTO)]


async def test_referent_voice_reaches_whatsapp_uploaded_then_sent_by_id(relay, graph_api, bot_api, private_tmp):
    bot_api.add_file("tg-voice", VOICE)
    media = MediaRef("telegram", "tg-voice", "voice", "audio/ogg", len(VOICE))
    assert await relay.relay(media, "whatsapp", YOUNG, "Awa (référent·e)") is None
    [(upload_id, upload)] = graph_api.uploads
    assert upload.data == VOICE and upload.content_type == "audio/ogg"
    caption, audio = graph_api.bodies()[-2:]
    assert caption["text"]["body"] == "Awa (référent·e)"  # audio carries no caption: who speaks comes first
    assert audio == {"messaging_product": "whatsapp", "to": YOUNG, "type": "audio", "audio": {"id": upload_id}}
    assert _no_temp_files_left(private_tmp)
    # Both messages were paced by the number's limiter, like any other send.
    first, second = (m.at for m in graph_api.messages[-2:])
    assert second - first >= 0.19


async def test_referent_photo_reaches_whatsapp_with_its_caption(relay, graph_api, bot_api):
    bot_api.add_file("tg-photo", PHOTO)
    assert await relay.relay(MediaRef("telegram", "tg-photo", "image", "image/jpeg"), "whatsapp", YOUNG, "Awa") is None
    [(upload_id, _upload)] = graph_api.uploads
    assert graph_api.bodies()[-1]["image"] == {"id": upload_id, "caption": "Awa"}


async def test_expired_media_is_reported_on_both_platforms(relay, graph_api, bot_api, private_tmp):
    assert await relay.relay(MediaRef("whatsapp", "gone", "voice"), "telegram", REFERENT, "x") == "expired"
    assert await relay.relay(MediaRef("telegram", "gone", "voice"), "whatsapp", YOUNG, "x") == "expired"
    assert bot_api.uploads == [] and graph_api.uploads == []
    assert _no_temp_files_left(private_tmp)


async def test_too_large_media_is_refused_before_download(relay, graph_api, bot_api):
    graph_api.add_media("big", VOICE, "audio/ogg", declared_size=17 * MB)
    assert await relay.relay(MediaRef("whatsapp", "big", "voice"), "telegram", REFERENT, "x") == "too_large"
    assert graph_api.downloads == []
    bot_api.add_file("huge", VOICE, declared_size=25 * MB)
    assert await relay.relay(MediaRef("telegram", "huge", "voice"), "whatsapp", YOUNG, "x") == "too_large"
    graph_api.add_media("bigphoto", PHOTO, "image/jpeg", declared_size=6 * MB)
    assert await relay.relay(MediaRef("whatsapp", "bigphoto", "image"), "telegram", REFERENT, "x") == "too_large"
    assert bot_api.uploads == [] and graph_api.uploads == []


async def test_a_media_larger_than_declared_is_cut_off_while_streaming(relay, graph_api, bot_api, private_tmp):
    graph_api.add_media("liar", b"x" * (5 * MB + 1), "image/jpeg", declared_size=1000)
    assert await relay.relay(MediaRef("whatsapp", "liar", "image"), "telegram", REFERENT, "x") == "too_large"
    assert bot_api.uploads == []
    assert _no_temp_files_left(private_tmp)


async def test_unexpected_types_are_refused(relay, graph_api, bot_api):
    graph_api.add_media("gif", PHOTO, "image/gif")
    assert await relay.relay(MediaRef("whatsapp", "gif", "image"), "telegram", REFERENT, "x") == "type"
    graph_api.add_media("exe", VOICE, "application/x-msdownload")
    assert await relay.relay(MediaRef("whatsapp", "exe", "voice"), "telegram", REFERENT, "x") == "type"
    assert bot_api.uploads == []


async def test_closed_whatsapp_window_is_reported(relay, graph_api, bot_api):
    bot_api.add_file("tg-voice", VOICE)
    relay.window.open = False
    assert await relay.relay(MediaRef("telegram", "tg-voice", "voice", "audio/ogg"), "whatsapp", YOUNG, "x") == "window"
    assert graph_api.uploads == []
    relay.window.open = True
    graph_api.fail_for(YOUNG, 131047)  # Meta's own verdict: re-engagement required
    assert await relay.relay(MediaRef("telegram", "tg-voice", "voice", "audio/ogg"), "whatsapp", YOUNG, "") == "window"
