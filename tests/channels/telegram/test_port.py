"""TelegramPort with the real PTB ExtBot and its TelegramRateLimiter against the fake Bot API server."""
from __future__ import annotations

import time

import pytest
from telegram.ext import ExtBot

from bot.channels.telegram.callback_data import ButtonCodec, callback_keys
from bot.channels.telegram.port import REASON_BLOCKED, REASON_CONNECT, TelegramPort, blocked_chats
from bot.channels.telegram.ratelimiter import TelegramRateLimiter
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendStatus
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

CHAT, OTHER = 8001, 8002
TG = "telegram"


@pytest.fixture
def limiter():
    return TelegramRateLimiter(25)


@pytest.fixture
async def bot(fake_api, limiter):
    async with ExtBot(TOKEN, base_url=fake_api.base_url, rate_limiter=limiter) as bot:
        yield bot


@pytest.fixture
def shared(sqlite_db):
    return SqlSharedKeyStore(sqlite_db)


def _port(bot, persons, shared, **kw) -> TelegramPort:
    return TelegramPort(bot, persons, ButtonCodec(callback_keys(shared)), blocked_chats(shared), **kw)


async def test_per_chat_rate_is_at_most_one_per_second_after_a_short_burst(fake_api, bot, persons, shared):
    port = _port(bot, persons, shared)
    for i in range(6):
        assert (await port.send(TG, str(CHAT), Reply(f"annonce {i}"))).status is SendStatus.SENT
    stamps = [c.at for c in fake_api.calls_to("sendMessage", CHAT)]
    assert len(stamps) == 6
    # Any window of w seconds holds at most burst (3) + w messages: 1/s sustained.
    for i, start in enumerate(stamps):
        for j in range(i, len(stamps)):
            window = stamps[j] - start
            assert j - i + 1 <= 3 + window + 0.05, (i, j, window)
    assert stamps[-1] - stamps[0] >= 2.9


async def test_other_chats_are_not_slowed_by_a_busy_chat(fake_api, bot, persons, shared):
    port = _port(bot, persons, shared)
    for i in range(3):  # the burst is used up: CHAT's next send would wait ~1 s
        await port.send(TG, str(CHAT), Reply(f"m{i}"))
    before = fake_api.calls_to("sendMessage", CHAT)[-1].at
    await port.send(TG, str(OTHER), Reply("hello"))
    [other] = fake_api.calls_to("sendMessage", OTHER)
    assert other.at - before < 0.3


async def test_sent_result_carries_the_message_id(fake_api, bot, persons, shared):
    result = await _port(bot, persons, shared).send(TG, str(CHAT), Reply("salut"))
    assert result.sent and result.message_ref and result.message_ref.isdigit()


async def test_network_error_is_retried_with_backoff(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 2, status=502)
    port = _port(bot, persons, shared, backoff_base=0.1)
    assert (await port.send(TG, str(CHAT), Reply("salut"))).status is SendStatus.SENT
    first, second, third = fake_api.calls_to("sendMessage", CHAT)
    assert second.at - first.at >= 0.09 and third.at - second.at >= 0.19  # doubling


async def test_network_retries_are_bounded(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 10, status=502)
    port = _port(bot, persons, shared, backoff_base=0.01, max_network_retries=2)
    assert (await port.send(TG, str(CHAT), Reply("salut"))).status is SendStatus.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 3


async def test_429_on_the_priority_lane_is_waited_for_then_sent(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=1)
    result = await _port(bot, persons, shared).send(TG, str(CHAT), Reply("salut"), Lane.PRIORITY)
    assert result.status is SendStatus.SENT
    first, second = fake_api.calls_to("sendMessage", CHAT)
    assert second.at - first.at >= 0.95


async def test_repeated_429_gives_up(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 5, status=429, retry_after=1)
    port = _port(bot, persons, shared, max_rate_limit_retries=1)
    assert (await port.send(TG, str(CHAT), Reply("salut"))).status is SendStatus.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 2


async def test_429_longer_than_the_cap_is_not_waited_for(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=3600)
    port = _port(bot, persons, shared, max_retry_after=60)
    assert (await port.send(TG, str(CHAT), Reply("salut"))).status is SendStatus.FAILED
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1


async def test_429_on_the_bulk_lane_is_handed_back_and_pauses_bulk_only(fake_api, bot, persons, shared, limiter):
    fake_api.fail_next("sendMessage", 1, status=429, retry_after=2)
    port = _port(bot, persons, shared)
    result = await port.send(TG, str(CHAT), Reply("annonce"), Lane.BULK)
    assert (result.status, result.retry_after) == (SendStatus.RETRY_LATER, 2.0)
    assert await limiter.window.paused_for() > 1.5
    started = time.monotonic()
    assert (await port.send(TG, str(OTHER), Reply("réponse"))).sent  # replies still go
    assert time.monotonic() - started < 0.5


async def test_403_blocks_until_the_person_writes_again(fake_api, bot, persons, shared):
    fake_api.fail_next("sendMessage", 1, status=403)
    port = _port(bot, persons, shared)
    assert (await port.send(TG, str(CHAT), Reply("a"))).status is SendStatus.UNREACHABLE
    # Another process (its own port, same store) knows at once, without calling Telegram.
    other_process = _port(bot, persons, SqlSharedKeyStore(shared._db))
    result = await other_process.send(TG, str(CHAT), Reply("b"))
    assert (result.status, result.reason) == (SendStatus.UNREACHABLE, REASON_BLOCKED)
    assert persons.unreachable == [("telegram", str(CHAT))]
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1
    await other_process.mark_reachable(CHAT)
    assert (await port.send(TG, str(CHAT), Reply("c"))).status is SendStatus.SENT


async def test_directory_failure_does_not_hide_the_block(fake_api, bot, shared):
    class BrokenPersons:
        def mark_unreachable(self, channel, external_id):
            raise RuntimeError("db down")
    fake_api.block_chat(CHAT)
    port = _port(bot, BrokenPersons(), shared)
    assert (await port.send(TG, str(CHAT), Reply("a"))).status is SendStatus.UNREACHABLE
    assert await port.is_blocked(CHAT)


async def test_replies_take_the_priority_lane_and_broadcasts_the_bulk_lane(fake_api, bot, persons, shared, limiter):
    lanes = []
    acquire = limiter.window.acquire

    async def recording(lane=Lane.BULK):
        lanes.append(lane)
        return await acquire(lane)

    limiter.window.acquire = recording
    port = _port(bot, persons, shared)
    assert (await port.send(TG, str(CHAT), Reply("réponse"))).sent
    assert (await port.send(TG, str(OTHER), Reply("annonce"), Lane.BULK)).sent
    assert lanes == [Lane.PRIORITY, Lane.BULK]


class WriteHook:
    """``on_write`` as a broadcast passes it: records how many calls the API had seen."""

    def __init__(self, api, fail: bool = False) -> None:
        self.api, self.fail, self.seen = api, fail, []

    async def __call__(self) -> None:
        self.seen.append(len(self.api.calls_to("sendMessage")))
        if self.fail:
            raise RuntimeError("could not record the attempt")


async def test_on_write_runs_once_right_before_the_request(fake_api, bot, persons, shared, limiter):
    fake_api.fail_next("sendMessage", 1, status=502)  # a retry does not call it again
    hook = WriteHook(fake_api)
    before = len(fake_api.calls_to("sendMessage"))
    port = _port(bot, persons, shared, backoff_base=0.01)
    assert (await port.send(TG, str(CHAT), Reply("annonce"), Lane.BULK, on_write=hook)).sent
    assert hook.seen == [before]
    assert len(fake_api.calls_to("sendMessage")) == before + 2


async def test_nothing_is_sent_when_on_write_fails(fake_api, bot, persons, shared, limiter):
    before = len(fake_api.calls_to("sendMessage"))
    with pytest.raises(RuntimeError):
        await _port(bot, persons, shared).send(TG, str(CHAT), Reply("a"), Lane.BULK, on_write=WriteHook(fake_api, True))
    assert len(fake_api.calls_to("sendMessage")) == before
    assert limiter.window._in_flight == 0  # the slot was given back


async def test_a_bulk_send_whose_answer_is_lost_is_uncertain_and_not_sent_again(fake_api, bot, persons, shared):
    fake_api.drop_answer_next("sendMessage")
    port = _port(bot, persons, shared, backoff_base=0.01)
    result = await port.send(TG, str(CHAT), Reply("annonce"), Lane.BULK)
    assert result.status is SendStatus.UNCERTAIN
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 1  # it did arrive: never twice


async def test_a_reply_whose_answer_is_lost_is_retried(fake_api, bot, persons, shared):
    fake_api.drop_answer_next("sendMessage")
    port = _port(bot, persons, shared, backoff_base=0.01)
    assert (await port.send(TG, str(CHAT), Reply("réponse"), Lane.PRIORITY)).sent
    assert len(fake_api.calls_to("sendMessage", CHAT)) == 2


async def test_connection_refused_is_not_sent_then_sent_when_telegram_is_back(persons, shared):
    api = FakeTelegramAPI().start()
    try:
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=TelegramRateLimiter(25)) as bot:
            api.stop()  # Telegram unreachable: connections refused
            port = _port(bot, persons, shared, backoff_base=0.01, max_network_retries=2)
            for lane in (Lane.BULK, Lane.PRIORITY):
                result = await port.send(TG, str(CHAT), Reply("annonce"), lane)
                assert (result.status, result.reason) == (SendStatus.NOT_SENT, REASON_CONNECT)
            api.start(api.port)
            assert (await port.send(TG, str(CHAT), Reply("annonce"), Lane.BULK)).sent
            assert len(api.calls_to("sendMessage", CHAT)) == 1
    finally:
        api.stop()
