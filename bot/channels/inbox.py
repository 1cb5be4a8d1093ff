"""Takes received messages out of the durable inbox and hands them to their channel.

The webhooks (and the Telegram poller) only write to the inbox; this pump —
inside ``serve``/``telegram``, or in any number of ``terrapro worker`` processes
— leases rows (one person's rows one at a time, in order; see
bot.storage.queue), runs the channel's handler, and marks the row finished.
A crash leaves a lease that expires, so the message is handled again.
"""
from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.queue import DurableQueue, InboxItem, QueueItem

log = logging.getLogger(__name__)

ItemHandler = Callable[[dict[str, Any]], Awaitable[None]]


class InboxPump:
    def __init__(
        self,
        queue: DurableQueue,
        *,
        concurrency: int = 32,
        lease: timedelta = timedelta(seconds=30),
        idle_poll: float = 0.2,
        retry_delay: timedelta = timedelta(seconds=2),
    ) -> None:
        self._queue = queue
        self._handlers: dict[str, ItemHandler] = {}
        self._slots = concurrency
        self._lease = lease
        self._idle_poll = idle_poll
        self._retry_delay = retry_delay
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def register(self, channel: str, handler: ItemHandler) -> None:
        self._handlers[channel] = handler

    def accept(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> bool:
        """Write a received message durably (call before acknowledging it); False for a duplicate."""
        accepted = self._queue.accept(channel, dedupe_id, key, payload)
        if accepted:
            self.wake()
        return accepted

    def backlog(self) -> int:
        return self._queue.backlog()

    def wake(self) -> None:
        """Something was accepted in this process: look now instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let the turns in flight finish (unfinished ones are re-leased later)."""
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._running:
            done, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for leftover in pending:
                leftover.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the inbox is empty and nothing runs (tests, graceful shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._running or await asyncio.to_thread(self._queue.backlog):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("inbox not drained")
            self.wake()
            await asyncio.sleep(0.01)

    async def _loop(self) -> None:
        while True:
            free = self._slots - len(self._running)
            items: list[QueueItem] = []
            if free > 0:
                try:
                    items = await asyncio.to_thread(
                        self._queue.claim, self.worker_id, limit=free, lease=self._lease
                    )
                except Exception as exc:  # the database is down: wait and try again
                    log.error("inbox claim failed: %s", type(exc).__name__)
                    await asyncio.sleep(1.0)
                    continue
            for item in items:
                task = asyncio.get_running_loop().create_task(self._run(item))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if not items:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll)
                except asyncio.TimeoutError:
                    pass

    async def _run(self, item: QueueItem) -> None:
        handler = self._handlers.get(item.channel)
        try:
            if handler is None:
                raise LookupError(f"no handler for channel {item.channel}")
            await handler(item.payload)
        except asyncio.CancelledError:
            raise  # shutdown: the lease expires and another worker takes it
        except Exception as exc:
            log.error("inbox item %s failed (attempt %s): %s", item.id, item.attempts, type(exc).__name__)
            await asyncio.to_thread(
                self._queue.retry, item.id, type(exc).__name__, self._retry_delay * item.attempts
            )
        else:
            await asyncio.to_thread(self._queue.finish, item.id)
        finally:
            # The person's next message may now be claimable.
            self.wake()


def build_inbox_pump(settings: Settings, db: Database) -> InboxPump:
    return InboxPump(
        DurableQueue(db, InboxItem),
        concurrency=settings.inbox_concurrency,
        lease=timedelta(seconds=settings.inbox_lease_seconds),
    )
