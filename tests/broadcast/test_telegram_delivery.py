"""A campaign delivered through the real Telegram sender and python-telegram-bot, counted at a fake Bot API."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from telegram import Bot

from bot.channels.outbound import attach_broadcast
from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.flood import FloodLimiter
from bot.channels.telegram.sender import TelegramSender
from bot.settings import Settings
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

    async with Bot(TOKEN, base_url=fake_api.base_url) as bot:
        sender = TelegramSender(bot, persons, ButtonCodec(), FloodLimiter())
        services = SimpleNamespace(
            settings=Settings(telegram_broadcast_rate=RATE), db=db, subscriptions=subscriptions,
            catalogue=None, events=EVENTS,
        )
        broadcast = attach_broadcast(services, telegram_sender=sender)
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
