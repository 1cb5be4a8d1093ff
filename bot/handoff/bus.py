"""Where hand-off notifications go: the durable outbox, then the channel's port.

Relays (both ways), announcements to referents and notices are written to the
outbox table first — inside the message turn's unit of work when there is one, so a
referent never hears of a ticket that was rolled back and nothing published by a
committed turn is lost — then delivered at once by the process that wrote them.
Whatever could not be delivered then (the process died, the platform said "later",
another process owns the channel) is delivered by the outbox pump of any process
that has that channel's port, in order per recipient, with retries. A relay carries the
id of the message it relays (``once_key``), so handling that message again publishes
nothing new.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Protocol

from bot.core.pump import QueuePump
from bot.handoff.notifications import Notification
from bot.storage.database import Database
from bot.storage.queue import DurableQueue
from bot.storage.turns import caller_loop
from bot.storage.unit_of_work import after_commit, current_session

log = logging.getLogger(__name__)


class NotificationBus(Protocol):
    async def publish(self, notification: Notification, *, once_key: str | None = None) -> None:
        """``once_key``: publishing again with the same key does nothing (e.g. the relay of one
        inbound message, handled again after a crash)."""
        ...


class OutboxBus:
    def __init__(self, db: Database, queue: DurableQueue, pump: QueuePump) -> None:
        self._db = db
        self._queue = queue
        self._pump = pump

    async def publish(self, notification: Notification, *, once_key: str | None = None) -> None:
        payload = {"notification": notification.to_json()}
        key = f"{notification.channel}:{notification.external_id}"
        # The outbox keeps one row per dedupe id: a message handled twice (its turn committed,
        # then the process died before the inbox row was marked done) is relayed once.
        dedupe_id = f"once:{once_key}" if once_key else f"n:{uuid.uuid4().hex}"
        if current_session(self._db) is not None:
            # Inside a turn (its own thread and loop): part of the turn's transaction.
            self._queue.accept(notification.channel, dedupe_id, key, payload)
            caller = caller_loop()
            if caller is not None and caller is not asyncio.get_running_loop():
                after_commit(lambda: _submit(caller, self._pump.deliver_now(dedupe_id, notification.channel)))
            else:
                after_commit(self._pump.wake)
            return
        await asyncio.to_thread(self._queue.accept, notification.channel, dedupe_id, key, payload)
        await self._pump.deliver_now(dedupe_id, notification.channel)


def _submit(loop: asyncio.AbstractEventLoop, coroutine) -> None:
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    future.add_done_callback(_log_failure)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("handoff notification failed: %s", type(future.exception()).__name__)
