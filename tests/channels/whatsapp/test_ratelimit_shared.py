"""Two processes' WhatsApp ports (real GraphClient, fake Graph API) sharing the number's budget
through Redis: the fake API's own arrival times are what Meta would count."""
from __future__ import annotations

import asyncio
import hashlib

import pytest
import redis.asyncio

from bot.channels.ratelimit_redis import RedisRateLimits
from bot.channels.whatsapp import build_whatsapp
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendStatus
from tests.channels.whatsapp.conftest import WA_ID
from tests.conftest import REDIS_URL

WA = "whatsapp"


def key_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@pytest.fixture
async def two_channels(settings, handler, persons, status_repo, shared, clock, async_redis_client):
    slow = settings.model_copy(update={"whatsapp_send_rate": 5.0})
    other = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
    channels = [
        build_whatsapp(slow, handler, persons, status_repo, shared, clock=clock, backoff=0.01,
                       limits=RedisRateLimits(client, key_of=key_of))
        for client in (async_redis_client, other)
    ]
    yield channels
    for channel in channels:
        await channel.aclose()
    await other.aclose()


async def test_two_processes_stay_within_the_number_s_rate(two_channels, graph_api, clock):
    a, b = (channel.port for channel in two_channels)
    results = await asyncio.gather(*(
        port.reply(f"{WA_ID}{i}", Reply(f"réponse {i}"), inbound_at=clock()) for i in range(4) for port in (a, b)
    ))
    assert all(result.sent for result in results)
    arrivals = sorted(message.at for message in graph_api.messages)
    assert len(arrivals) == 8
    assert max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals) <= 5
    assert arrivals[-1] - arrivals[0] >= 0.9


async def test_meta_throttling_seen_by_one_process_pauses_the_other_s_broadcasts(two_channels, graph_api, persons,
                                                                                clock):
    a, b = (channel.port for channel in two_channels)
    persons.touch_inbound(WA, WA_ID, clock())
    graph_api.throttle_next(4)  # every attempt of the GraphClient
    result = await a.send(WA, WA_ID, Reply("annonce"), Lane.BULK)
    assert result.status is SendStatus.RETRY_LATER
    assert await b.limiter.paused_for() > 0.5
