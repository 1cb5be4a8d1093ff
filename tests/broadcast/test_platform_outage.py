"""A platform that cannot be reached, or whose answer is lost, through the real ports and fake APIs.

Known not delivered (connection refused) -> queued, sent once the API is back.
Maybe delivered (request read by the API, answer lost) -> uncertain, never sent again.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from telegram.ext import ExtBot

from bot.broadcast.compose import build_broadcast
from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.port import TelegramPort, blocked_chats
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.channels.whatsapp import build_whatsapp
from bot.core.outbound import ChannelPorts
from bot.settings import Settings
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.broadcast.conftest import EVENTS, NOW
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.processes import free_port
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

PEOPLE = 12


@pytest.fixture
def telegram_people(persons, subscriptions) -> list[int]:
    chats = []
    for i in range(PEOPLE):
        person = persons.get_or_create("telegram", str(710000 + i))
        subscriptions.subscribe(person.id, "bignona")
        chats.append(710000 + i)
    return chats


def _broadcast(db, persons, subscriptions, channel: str, port, clock=None):
    ports = ChannelPorts()
    ports.register(channel, port)
    services = SimpleNamespace(settings=Settings(telegram_broadcast_rate=30), db=db, subscriptions=subscriptions,
                               catalogue=None, events=EVENTS)
    return build_broadcast(services, ports, **({"clock": clock} if clock else {}))


def _telegram_port(bot, persons, db) -> TelegramPort:
    shared = SqlSharedKeyStore(db)
    return TelegramPort(bot, persons, ButtonCodec(callback_keys(shared)), blocked_chats(shared),
                        backoff_base=0.01, max_network_retries=2)


async def test_telegram_down_rows_stay_queued_and_go_once_it_is_back(db, persons, subscriptions, telegram_people):
    api = FakeTelegramAPI().start()
    try:
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=TelegramRateLimiter(30)) as bot:
            b = _broadcast(db, persons, subscriptions, "telegram", _telegram_port(bot, persons, db))
            campaign = b.service.create("Portes ouvertes samedi", territoire="bignona")
            api.stop()  # connections refused from now on
            down = await b.service.send(campaign.id)
            assert (down.sent, down.uncertain, down.failed, down.queued) == (0, 0, 0, PEOPLE)
            assert down.postponed_this_run >= 1 and not down.done
            assert api.calls_to("sendMessage") == []

            api.start(api.port)  # back
            back = await b.service.send(campaign.id)
    finally:
        api.stop()
    assert (back.sent, back.queued, back.uncertain, back.done) == (PEOPLE, 0, 0, True)
    received = Counter(c.params["chat_id"] for c in api.calls_to("sendMessage"))
    assert sorted(received) == telegram_people and set(received.values()) == {1}


async def test_telegram_answer_lost_is_uncertain_and_never_sent_again(db, persons, subscriptions, telegram_people):
    api = FakeTelegramAPI().start()
    try:
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=TelegramRateLimiter(30)) as bot:
            b = _broadcast(db, persons, subscriptions, "telegram", _telegram_port(bot, persons, db))
            campaign = b.service.create("Portes ouvertes samedi", territoire="bignona")
            api.drop_answer_next("sendMessage", 2)  # Telegram has them; we never hear so
            summary = await b.service.send(campaign.id)
            again = await b.service.send(campaign.id)
    finally:
        api.stop()
    assert (summary.sent, summary.uncertain, summary.queued, summary.done) == (PEOPLE - 2, 2, 0, True)
    assert again.sent_this_run == 0 and again.uncertain == 2
    received = Counter(c.params["chat_id"] for c in api.calls_to("sendMessage"))
    assert sorted(received) == telegram_people and set(received.values()) == {1}  # nobody twice


@pytest.fixture
def whatsapp_people(persons, subscriptions, clock) -> list[str]:
    numbers = []
    for i in range(PEOPLE):
        wa_id = f"22177{i:07d}"
        person = persons.get_or_create("whatsapp", wa_id)
        persons.touch_inbound("whatsapp", wa_id, NOW - timedelta(hours=1))  # inside the 24-h window
        subscriptions.subscribe(person.id, "bignona")
        numbers.append(wa_id)
    return numbers


def _whatsapp(base_url: str, db, persons, clock, tmp_path):
    settings = Settings(data_dir=tmp_path, whatsapp_token="t", whatsapp_phone_number_id="123",
                        whatsapp_app_secret="app-secret-for-tests", whatsapp_api_base_url=base_url)
    return build_whatsapp(settings, None, persons, DeliveryStatusRepository(db), SqlSharedKeyStore(db),
                          clock=clock, backoff=0.01)


async def test_whatsapp_refused_then_back_each_number_gets_it_once(
    db, persons, subscriptions, clock, tmp_path, whatsapp_people
):
    closed = _whatsapp(f"http://127.0.0.1:{free_port()}/v21.0", db, persons, clock, tmp_path)
    try:
        b = _broadcast(db, persons, subscriptions, "whatsapp", closed.port, clock)
        campaign = b.service.create("Forum de l'insertion", territoire="bignona")
        down = await b.service.send(campaign.id)
    finally:
        await closed.aclose()
    assert (down.sent, down.uncertain, down.failed, down.queued, down.done) == (0, 0, 0, PEOPLE, False)

    graph = FakeGraphAPI().start()
    live = _whatsapp(graph.base_url, db, persons, clock, tmp_path)
    try:
        back = await _broadcast(db, persons, subscriptions, "whatsapp", live.port, clock).service.send(campaign.id)
    finally:
        await live.aclose()
        graph.stop()
    assert (back.sent, back.queued, back.done) == (PEOPLE, 0, True)
    received = Counter(body["to"] for body in graph.bodies())
    assert sorted(received) == whatsapp_people and set(received.values()) == {1}


async def test_whatsapp_answer_lost_is_uncertain_and_never_sent_again(
    db, persons, subscriptions, clock, tmp_path, whatsapp_people
):
    graph = FakeGraphAPI().start()
    channel = _whatsapp(graph.base_url, db, persons, clock, tmp_path)
    try:
        b = _broadcast(db, persons, subscriptions, "whatsapp", channel.port, clock)
        campaign = b.service.create("Forum de l'insertion", territoire="bignona")
        graph.drop_answer_next(1)
        summary = await b.service.send(campaign.id)
        again = await b.service.send(campaign.id)
    finally:
        await channel.aclose()
        graph.stop()
    assert (summary.sent, summary.uncertain, summary.queued, summary.done) == (PEOPLE - 1, 1, 0, True)
    assert again.sent_this_run == 0
    received = Counter(body["to"] for body in graph.bodies())
    assert sorted(received) == whatsapp_people and set(received.values()) == {1}
