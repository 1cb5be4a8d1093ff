from __future__ import annotations

import json

import httpx
import pytest

from bot.channels.whatsapp import WhatsAppConfigError, build_whatsapp
from bot.core.pump import QueuePump
from bot.storage.database import Database
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.storage.persons import PersonRepository
from bot.storage.queue import DurableQueue, InboxItem
from bot.storage.shared_keys import SqlSharedKeyStore
from bot.web import create_app
from tests.channels.whatsapp.conftest import WA_ID, load, post_signed


def test_refuses_to_build_without_app_secret(settings, handler, persons, status_repo, shared):
    no_secret = settings.model_copy(update={"whatsapp_app_secret": ""})
    with pytest.raises(WhatsAppConfigError, match="TERRAPRO_WHATSAPP_APP_SECRET"):
        build_whatsapp(no_secret, handler, persons, status_repo, shared)


def test_refuses_to_build_without_token(settings, handler, persons, status_repo, shared):
    no_token = settings.model_copy(update={"whatsapp_token": "", "dev_mode": True})
    with pytest.raises(WhatsAppConfigError, match="TERRAPRO_WHATSAPP_TOKEN"):
        build_whatsapp(no_token, handler, persons, status_repo, shared)


async def test_dev_mode_accepts_unsigned_posts(settings, handler, persons, status_repo, shared, clock, inbox):
    dev = settings.model_copy(update={"whatsapp_app_secret": "", "dev_mode": True})
    channel = build_whatsapp(dev, handler, persons, status_repo, shared, inbox=inbox, clock=clock)
    transport = httpx.ASGITransport(app=create_app(channel.routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/webhooks/whatsapp", content=json.dumps(load("text.json")))
    await channel.join()
    await channel.aclose()
    assert response.status_code == 200
    assert len(handler.received) == 1


async def test_with_the_real_person_and_inbox_repositories(settings, handler, clock, graph_api, tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path / 'real.sqlite3'}")
    db.create_schema()  # delivery_status is imported above, so its tables exist too
    persons = PersonRepository(db)
    inbox = QueuePump(DurableQueue(db, InboxItem), idle_poll=0.02)
    inbox.start()
    channel = build_whatsapp(
        settings, handler, persons, DeliveryStatusRepository(db), SqlSharedKeyStore(db), inbox=inbox, clock=clock,
    )
    transport = httpx.ASGITransport(app=create_app(channel.routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(2):
            assert (await post_signed(client, load("text.json"))).status_code == 200
    await channel.join()
    await inbox.stop()
    await channel.aclose()
    db.dispose()
    assert len(handler.received) == 1
    assert persons.last_inbound("whatsapp", WA_ID) is not None
    assert len(graph_api.messages) == 1
