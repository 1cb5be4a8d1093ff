from __future__ import annotations

import asyncio

import pytest

from bot.channels.whatsapp.ordering import KeyedSerialRunner
from bot.core.errors import ServiceUnavailable
from tests.channels.whatsapp.conftest import WA_ID, post_signed, text_payload


async def test_same_key_in_order_and_a_failing_job_does_not_stop_the_queue():
    runner = KeyedSerialRunner()
    done: list[str] = []

    def job(name: str, delay: float, fail: bool = False):
        async def run() -> None:
            await asyncio.sleep(delay)
            if fail:
                raise RuntimeError("boom")
            done.append(name)

        return run

    runner.submit("a", job("a1", 0.05))
    runner.submit("a", job("a2", 0, fail=True))
    runner.submit("a", job("a3", 0))
    runner.submit("b", job("b1", 0))
    await runner.join()
    assert done == ["b1", "a1", "a3"]
    assert runner.pending == 0


async def test_full_backlog_refuses_without_queueing():
    runner = KeyedSerialRunner(max_pending=1)
    runner.submit("a", lambda: asyncio.sleep(0.01))
    with pytest.raises(ServiceUnavailable):
        runner.submit("b", lambda: asyncio.sleep(0))
    await runner.join()


async def test_backlog_full_is_503_and_meta_can_redeliver(client, channel, handler, dedupe):
    channel.runner._max_pending = 0
    payload = text_payload(WA_ID, "wamid.busy", "salut")
    assert (await post_signed(client, payload)).status_code == 503
    channel.runner._max_pending = 100
    assert (await post_signed(client, payload)).status_code == 200
    await channel.join()
    assert [m.text for m in handler.received] == ["salut"]
