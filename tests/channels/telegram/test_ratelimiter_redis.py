"""Two processes' Telegram ports (real PTB ExtBot, fake Bot API) sharing their limits through Redis."""
from __future__ import annotations

import hashlib

import pytest
import redis.asyncio
from telegram.ext import ExtBot

from bot.channels.ratelimit_redis import RedisRateLimits, RedisWindowLimiter
from bot.channels.telegram import build_application
from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.port import TelegramPort, blocked_chats
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendStatus
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.conftest import REDIS_URL
from tests.fakes.telegram_api import TOKEN

CHAT, OTHER = 8001, 8002
TG = "telegram"
SCOPE = f"telegram:{TOKEN.split(':')[0]}"


def key_of(chat: str) -> str:
    return hashlib.sha256(chat.encode()).hexdigest()[:16]


@pytest.fixture
async def two_ports(fake_api, persons, sqlite_db, async_redis_client):
    """Process A and process B: each its own Redis pool, limiter, ExtBot and port."""
    other = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    ports, limiters = [], []
    shared = SqlSharedKeyStore(sqlite_db)
    bots = []
    for client in (async_redis_client, other):
        limiter = TelegramRateLimiter(25, scope=SCOPE, limits=RedisRateLimits(client, key_of=key_of))
        bot = ExtBot(TOKEN, base_url=fake_api.base_url, rate_limiter=limiter)
        await bot.initialize()
        bots.append(bot)
        limiters.append(limiter)
        ports.append(TelegramPort(bot, persons, ButtonCodec(callback_keys(shared)), blocked_chats(shared)))
    yield ports, limiters
    for bot in bots:
        await bot.shutdown()
    await other.aclose()


async def test_one_chat_is_paced_across_processes(fake_api, two_ports):
    (a, b), _ = two_ports
    for i in range(4):  # alternately from each process: together a burst of 3, then 1/s
        assert (await (a, b)[i % 2].send(TG, str(CHAT), Reply(f"m{i}"))).sent
    stamps = [c.at for c in fake_api.calls_to("sendMessage", CHAT)]
    assert len(stamps) == 4
    assert stamps[3] - stamps[0] >= 0.9


async def test_a_429_seen_by_one_process_pauses_the_broadcasts_of_the_other(fake_api, two_ports):
    (a, b), (_, limiter_b) = two_ports
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=2)
    result = await a.send(TG, str(CHAT), Reply("annonce"), Lane.BULK)
    assert (result.status, result.retry_after) == (SendStatus.RETRY_LATER, 2.0)
    assert await limiter_b.window.paused_for() > 1.5
    assert (await b.send(TG, str(OTHER), Reply("réponse"))).sent  # replies still go


async def test_build_application_takes_the_bot_s_shared_budget(settings, handler, persons, shared_store,
                                                                async_redis_client):
    limits = RedisRateLimits(async_redis_client, key_of=key_of)
    application = build_application(settings, handler, persons, shared_store, limits=limits)
    window = application.bot.rate_limiter.window
    assert isinstance(window, RedisWindowLimiter) and window.rate == 25
    # Named by the bot's id only: the secret half of the token is not in Redis.
    await (await window.acquire(Lane.PRIORITY)).done()
    keys = await async_redis_client.keys("*")
    assert keys and all(SCOPE in key and TOKEN.split(":")[1] not in key for key in keys)
