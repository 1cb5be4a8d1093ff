"""Where hand-off notifications go: the durable outbox, then the channel's port.

Relays (both ways), announcements to referents and notices are written to the
outbox table first — inside the message turn's unit of work when there is one, so a
referent never hears of a ticket that was rolled back and nothing published by a
committed turn is lost — then delivered at once by the process that wrote them.
Whatever could not be delivered then (the process died, the platform said "later",
another process owns the channel) is delivered by the outbox pump of any process
that has that channel's port, in order per recipient, with retries.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Protocol

from bot.core.pump import QueuePump, current_receipt
from bot.handoff.notifications import Notification
from bot.storage.database import Database
from bot.storage.queue import DurableQueue
from bot.storage.turns import caller_loop
from bot.storage.unit_of_work import after_commit, current_session

log = logging.getLogger(__name__)


class NotificationBus(Protocol):
    async def publish(self, notification: Notification) -> None: ...


class OutboxBus:
    def __init__(self, db: Database, queue: DurableQueue, pump: QueuePump) -> None:
        self._db = db
        self._queue = queue
        self._pump = pump
        self._in_flight: set[asyncio.Task[None]] = set()

    async def publish(self, notification: Notification, *, dedupe_id: str | None = None) -> None:
        """``dedupe_id``: our idempotency key (a reply is ``reply:<inbox row>:<n>``), so a
        notification written twice is sent once; by default each call is a new one."""
        if current_session(self._db) is not None:
            self.stage(notification, dedupe_id=dedupe_id)
            return
        dedupe_id = dedupe_id or _new_id()
        await asyncio.to_thread(self._accept, notification, dedupe_id)
        await self._pump.deliver_now(dedupe_id, notification.channel)

    def stage(self, notification: Notification, *, dedupe_id: str | None = None) -> None:
        """Inside a unit of work (a turn, in its own thread and loop): written in the turn's
        transaction, delivered once it commits."""
        dedupe_id = dedupe_id or _new_id()
        self._accept(notification, dedupe_id)
        caller = caller_loop()
        running = _running_loop()
        if caller is not None and caller is not running:
            after_commit(lambda: _submit(caller, self._pump.deliver_now(dedupe_id, notification.channel)))
        elif running is not None:
            after_commit(lambda: self._spawn(running, self._pump.deliver_now(dedupe_id, notification.channel)))
        else:
            after_commit(self._pump.wake)

    def _spawn(self, loop: asyncio.AbstractEventLoop, coroutine) -> None:
        task = loop.create_task(coroutine)
        # Kept referenced until done: the loop itself holds tasks only weakly.
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        task.add_done_callback(_log_failure)

    def _accept(self, notification: Notification, dedupe_id: str) -> None:
        key = f"{notification.channel}:{notification.external_id}"
        self._queue.accept(notification.channel, dedupe_id, key, {"notification": notification.to_json()})


def _new_id() -> str:
    receipt = current_receipt()
    if receipt is not None:
        # Published while handling a received message: the same key if it is handled again.
        return receipt.next_id("n")
    return f"n:{uuid.uuid4().hex}"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None




def _submit(loop: asyncio.AbstractEventLoop, coroutine) -> None:
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    future.add_done_callback(_log_failure)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("handoff notification failed: %s", type(future.exception()).__name__)
