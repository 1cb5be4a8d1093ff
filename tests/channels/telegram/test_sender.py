"""TelegramSender with the real PTB Bot against the fake Bot API server."""
from __future__ import annotations

import pytest
from telegram import Bot

from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.flood import FloodLimiter
from bot.channels.telegram.sender import SendOutcome, TelegramSender
from bot.core.messages import Reply
from tests.fakes.telegram_api import TOKEN

CHAT, OTHER = 8001, 8002


@pytest.fixture
async def bot(fake_api):
    async with Bot(TOKEN, base_url=fake_api.base_url) as bot:
        yield bot


def _sender(bot, persons, **kw) -> TelegramSender:
    return TelegramSender(bot, persons, ButtonCodec(), FloodLimiter(), **kw)


async def test_per_chat_rate_is_at_most_one_per_second_after_a_short_burst(fake_api, bot, persons):
    sender = _sender(bot, persons)
    for i in range(6):
        assert await sender.send(CHAT, Reply(f"annonce {i}")) is SendOutcome.SENT
    stamps = [c.at for c in fake_api.calls_to("sendMessage", CHAT)]
    assert len(stamps) == 6
    # Any window of w seconds holds at most burst (3) + w messages: 1/s sustained.
    for i, start in enumerate(stamps):
        for j in range(i, len(stamps)):
            window = stamps[j] - start
            assert j - i + 1 <= 3 + window + 0.05, (i, j, window)
    assert stamps[-1] - stamps[0] >= 2.9


async def test_other_chats_are_not_slowed_by_a_busy_chat(fake_api, bot, persons):
    sender = _sender(bot, persons)
    for i in range(3):  # the burst is used up: CHAT's next send would wait ~1 s
        await sender.send(CHAT, Reply(f"m{i}"))
    before = fake_api.calls_to("sendMessage", CHAT)[-1].at
    await sender.send(OTHER, Reply("hello"))
    [other] = fake_api.calls_to("sendMessage", OTHER)
    assert other.at - before < 0.3


async def test_network_error_is_retried_with_backoff(fake_api, bot, persons):
    fake_api.fail_next("sendMessage", 2, status=502)
    sender = _sender(bot, persons, backoff_base=0.1)
    assert await sender.send(CHAT, Reply("salut")) is SendOutcome.SENT
    first, second, third = fake_api.calls_to("sendMessage", CHAT)
    assert second.at - first.at >= 0.09 and third.at - second.at >= 0.19  # doubling


async def test_network_retries_are_bounded(fake_api, bot, persons):
    fake_api.fail_next("sendMessage", 10, status=502)
    sender = _sender(bot, persons, backoff_base=0.01, max_network_retries=2)
    assert await sender.send(CHAT, Reply("salut")) is SendOutcome.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 3


async def test_repeated_429_gives_up(fake_api, bot, persons):
    fake_api.fail_next("sendMessage", 5, status=429, retry_after=1)
    sender = _sender(bot, persons, max_rate_limit_retries=1)
    assert await sender.send(CHAT, Reply("salut")) is SendOutcome.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 2


async def test_429_longer_than_the_cap_is_not_waited_for(fake_api, bot, persons):
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=3600)
    sender = _sender(bot, persons, max_retry_after=60)
    assert await sender.send(CHAT, Reply("salut")) is SendOutcome.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1


async def test_403_blocks_until_the_person_writes_again(fake_api, bot, persons):
    fake_api.fail_next("sendMessage", 1, status=403)
    sender = _sender(bot, persons)
    assert await sender.send(CHAT, Reply("a")) is SendOutcome.BLOCKED
    assert await sender.send(CHAT, Reply("b")) is SendOutcome.BLOCKED
    assert persons.unreachable == [("telegram", str(CHAT))]
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1
    sender.mark_reachable(CHAT)
    assert await sender.send(str(CHAT), Reply("c")) is SendOutcome.SENT


async def test_directory_failure_does_not_hide_the_block(fake_api, bot):
    class BrokenPersons:
        def mark_unreachable(self, channel, external_id):
            raise RuntimeError("db down")
    fake_api.block_chat(CHAT)
    sender = _sender(bot, BrokenPersons())
    assert await sender.send(CHAT, Reply("a")) is SendOutcome.BLOCKED
    assert sender.is_blocked(CHAT)


async def test_replies_take_the_priority_lane_of_the_broadcast_limiter_and_broadcasts_do_not(fake_api, bot, persons):
    from bot.broadcast.ratelimit import INTERACTIVE

    class CountingLimiter:
        def __init__(self):
            self.lanes = []

        async def acquire(self, lane):
            self.lanes.append(lane)

            class Slot:
                async def __aenter__(self):
                    return self

                async def __aexit__(self, *exc):
                    return None

            return Slot()

    limiter = CountingLimiter()
    sender = _sender(bot, persons)
    sender.share_rate_with(limiter)
    assert await sender.send(CHAT, Reply("réponse")) is SendOutcome.SENT
    assert await sender.send(OTHER, Reply("annonce"), bulk=True) is SendOutcome.SENT
    assert limiter.lanes == [INTERACTIVE]
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1 and len(fake_api.calls_to("sendMessage", OTHER)) == 1
