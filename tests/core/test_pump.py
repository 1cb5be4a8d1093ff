"""The queue pump: rows handled in order per person, bookkeeping ended with the row, no idle waits."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from bot.core.pump import QueuePump, current_receipt
from bot.storage.base import utcnow
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.storage.persons import PersonRepository
from bot.storage.queue import DONE, LEASED, DurableQueue, OutboxItem
from bot.storage.unit_of_work import unit_of_work


def outbox(db) -> DurableQueue:
    return DurableQueue(db, OutboxItem)


def statuses(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(OutboxItem.status).order_by(OutboxItem.id)))


async def test_deferred_bookkeeping_is_written_with_the_row_marked_done(db):
    queue, stats = outbox(db), DeliveryStatusRepository(db)
    pump = QueuePump(queue, idle_poll=0.02)

    async def send(payload):
        current_receipt().defer(lambda: stats.record_status("whatsapp", payload["wamid"], "accepted"))

    pump.register("whatsapp", send)
    pump.start()
    queue.accept("whatsapp", "r1", "whatsapp:p1", {"wamid": "wamid.A"})
    pump.wake()
    await pump.drain(timeout=5)
    await pump.stop()
    assert statuses(db) == [DONE]
    assert stats.status("whatsapp", "wamid.A") == "accepted"


async def test_failing_bookkeeping_never_holds_a_sent_row_back(db):
    queue = outbox(db)
    pump = QueuePump(queue, idle_poll=0.02)
    handled: list[int] = []

    def broken() -> None:
        raise RuntimeError("statistics table gone")

    async def send(payload):
        handled.append(payload["n"])
        current_receipt().defer(broken)

    pump.register("whatsapp", send)
    pump.start()
    queue.accept("whatsapp", "r1", "whatsapp:p1", {"n": 1})
    pump.wake()
    await pump.drain(timeout=5)
    await asyncio.sleep(0.1)  # a row sent again would show here
    await pump.stop()
    assert handled == [1] and statuses(db) == [DONE]


async def test_a_turn_that_outlived_its_lease_is_rolled_back_and_the_row_left_to_its_new_holder(db):
    """A turn longer than its lease: another worker has leased the row again meanwhile.
    Its writes must not commit (the new holder does the work once), nor may it end the row."""
    queue, persons = outbox(db), PersonRepository(db)
    pump = QueuePump(queue, idle_poll=0.02)
    taken_over: list[int] = []

    async def turn(payload):
        receipt = current_receipt()
        [taken] = await asyncio.to_thread(queue.claim, "other-worker", now=utcnow() + timedelta(hours=1))
        taken_over.append(taken.attempts)

        def write() -> None:
            with unit_of_work(db):
                persons.get_or_create("telegram", "555")
                receipt.finish_within()

        await asyncio.to_thread(write)

    pump.register("whatsapp", turn)
    pump.start()
    queue.accept("whatsapp", "r1", "whatsapp:p1", {})
    pump.wake()
    started = time.monotonic()
    while not taken_over and time.monotonic() - started < 5:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # the pump would end the row here if it did not know
    await pump.stop()
    assert taken_over == [2]
    assert persons.find("telegram", "555") is None
    assert statuses(db) == [LEASED]


async def test_a_persons_next_row_follows_at_once_not_at_the_next_poll(db):
    """Finishing a row claims the person's next one when this process wrote it queued;
    it does not wait for the idle poll (set long here)."""
    queue = outbox(db)
    pump = QueuePump(queue, idle_poll=5.0, claim_gap=0.0)
    done: list[tuple[int, float]] = []
    first_running = asyncio.Event()

    async def send(payload):
        first_running.set()
        await asyncio.sleep(0.05)
        done.append((payload["n"], time.monotonic()))

    pump.register("whatsapp", send)
    pump.start()
    await asyncio.sleep(0.05)  # the first claim found nothing: the pump now sleeps 5 s
    started = time.monotonic()
    await asyncio.to_thread(pump.accept, "whatsapp", "r1", "whatsapp:p1", {"n": 1})  # leased to us
    await first_running.wait()
    for n in (2, 3):  # behind it: queued
        await asyncio.to_thread(pump.accept, "whatsapp", f"r{n}", "whatsapp:p1", {"n": n})
    while len(done) < 3 and time.monotonic() - started < 3:  # not drain(): it wakes the pump
        await asyncio.sleep(0.01)
    await pump.stop()
    assert [n for n, _ in done] == [1, 2, 3]
    assert done[-1][1] - started < 1.0


async def test_rows_written_from_many_threads_during_a_burst_are_all_handled(sqlite_db):
    """Webhooks and turns write from worker threads while the claim loop runs: a burst of
    many people, larger than the pump's slots, is handled to the last row, and the claim
    loop keeps running (it once died on a dict another thread was filling)."""
    queue = outbox(sqlite_db)
    pump = QueuePump(queue, concurrency=8, idle_poll=0.05, claim_gap=0.0)
    writers, rows = 6, 150
    handled: list[str] = []

    async def send(payload):
        await asyncio.sleep(0.01)  # slots stay busy: most rows are written queued
        handled.append(payload["id"])

    pump.register("whatsapp", send)
    pump.start()

    def write(writer: int) -> None:
        for n in range(rows):
            pump.accept("whatsapp", f"{writer}-{n}", f"whatsapp:{writer}-{n}", {"id": f"{writer}-{n}"})

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave as on a loaded server
    try:
        await asyncio.gather(*(asyncio.to_thread(write, w) for w in range(writers)))
    finally:
        sys.setswitchinterval(switch)
    deadline = time.monotonic() + 60
    while len(handled) < writers * rows and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    alive = pump._loop_task is not None and not pump._loop_task.done()
    await pump.stop()
    assert alive
    assert sorted(handled) == sorted(f"{w}-{n}" for w in range(writers) for n in range(rows))
