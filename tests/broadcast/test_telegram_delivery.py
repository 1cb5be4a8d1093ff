"""A campaign delivered through the real Telegram port and python-telegram-bot, counted at a fake Bot API."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram.ext import ExtBot

from bot.broadcast.compose import build_broadcast
from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.port import TelegramPort, blocked_chats
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.outbound import ChannelPorts
from bot.settings import Settings
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.broadcast.conftest import EVENTS, max_in_any_window
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

RATE = 20
PEOPLE = 50


@pytest.fixture(scope="module")
def fake_api():
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


async def test_rate_is_kept_at_the_server_and_a_429_pauses_without_duplicates(fake_api, db, persons, subscriptions):
    fake_api.reset()
    chat_ids = []
    for i in range(PEOPLE):
        person = persons.get_or_create("telegram", str(700000 + i))
        subscriptions.subscribe(person.id, "bignona")
        chat_ids.append(700000 + i)
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=1)

    shared = SqlSharedKeyStore(db)
    async with ExtBot(TOKEN, base_url=fake_api.base_url, rate_limiter=TelegramRateLimiter(RATE)) as bot:
        ports = ChannelPorts()
        ports.register("telegram", TelegramPort(bot, persons, ButtonCodec(callback_keys(shared)), blocked_chats(shared)))
        services = SimpleNamespace(
            settings=Settings(telegram_broadcast_rate=RATE), db=db, subscriptions=subscriptions,
            catalogue=None, events=EVENTS,
        )
        broadcast = build_broadcast(services, ports)
        campaign = broadcast.service.create("Portes ouvertes samedi", territoire="bignona")
        summary = await broadcast.service.send(campaign.id)

    assert summary.sent == PEOPLE and summary.done
    calls = fake_api.calls_to("sendMessage")
    # Every attempt reaching the server, the refused (429) one included, stays under the rate.
    assert max_in_any_window([c.at for c in calls]) <= RATE
    received = [c.params["chat_id"] for c in calls]
    assert sorted(set(received)) == chat_ids
    # One extra call: the 429'd attempt, retried once after retry_after. Nobody got it twice.
    assert len(received) == PEOPLE + 1
    [twice] = [chat for chat in set(received) if received.count(chat) == 2]
    first, retried = [c.at for c in calls if c.params["chat_id"] == twice]
    assert retried - first >= 0.95
