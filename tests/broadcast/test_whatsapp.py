"""A campaign mixing channels, WhatsApp through its real port at the fake Graph API."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.whatsapp import build_whatsapp
from bot.settings import Settings
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.broadcast.conftest import NOW
from tests.fakes.graph_api import FakeGraphAPI


@pytest.fixture
def graph_api():
    fake = FakeGraphAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
async def whatsapp_port(graph_api, db, persons, clock, tmp_path):
    settings = Settings(
        data_dir=tmp_path, whatsapp_token="t", whatsapp_phone_number_id="123", whatsapp_app_secret="app-secret-for-tests",
        whatsapp_api_base_url=graph_api.base_url,
    )
    channel = build_whatsapp(
        settings, None, persons, DeliveryStatusRepository(db), SqlSharedKeyStore(db),
        clock=clock,
    )
    yield channel.port
    await channel.aclose()


async def test_campaign_mixing_channels_records_whatsapp_skips(
    add_people, persons, make_broadcast, sender, whatsapp_port, graph_api
):
    add_people(2)
    wa_ids = add_people(3, channel="whatsapp", prefix="2217")
    persons.touch_inbound("whatsapp", "22170", NOW - timedelta(hours=2))  # inside the window
    b = make_broadcast({"telegram": sender, "whatsapp": whatsapp_port})
    summary = await b.service.send(b.service.create("x", territoire="bignona").id)
    assert len(wa_ids) == 3
    assert (summary.sent, summary.skipped) == (3, 2)
    assert summary.skip_reasons == {"hors fenêtre 24 h, pas de modèle": 2}
    assert [(b["to"], b["text"]["body"]) for b in graph_api.bodies()] == [("22170", "x")]
