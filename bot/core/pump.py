"""Takes rows out of a durable queue (the inbox or the outbox) and hands each to its channel's handler.

Webhooks and the Telegram poller only write to the inbox; replies-to-be-sent and
relays only write to the outbox. A pump — inside ``serve``/``telegram``, or in any
number of ``terrapro worker`` processes — leases rows (one person's rows one at a
time, in order; see bot.storage.queue), runs the handler, and marks the row
finished. A crash leaves a lease that expires, so the row is handled again.

A handler returns normally (done), raises ``RetryLater`` (try again after a delay)
or ``GiveUp`` (a final failure, recorded with its reason); any other exception is
retried with a growing delay until the queue's ``max_attempts``. A handler whose
effects are written in a transaction of its own (a message turn) finishes its row in
that same transaction — ``current_receipt()`` says which row — so a crash can never
leave the effects committed and the row still to do: the turn is never applied twice.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.storage.queue import DEAD, DurableQueue, LeaseLost, QueueItem
from bot.storage.turns import caller_loop
from bot.storage.unit_of_work import after_commit

log = logging.getLogger(__name__)

# How old the backlog count given to the webhooks may be (seconds).
BACKLOG_TTL = 0.25

ItemHandler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Receipt:
    """The row a handler is working on; ``finished`` once the handler's own committed
    transaction marked it done (then the pump does not)."""

    item: QueueItem
    queue: DurableQueue
    finished: bool = False
    _issued: dict[str, int] = field(default_factory=dict)
    along: list[Callable[[], None]] = field(default_factory=list)

    def next_id(self, kind: str) -> str:
        """An idempotency key for the n-th thing of ``kind`` this row's handling writes.

        Handling the row again (after a crash) issues the same keys in the same order,
        so what the first attempt already wrote is recognised instead of written twice."""
        n = self._issued.get(kind, 0)
        self._issued[kind] = n + 1
        return f"{kind}:{self.queue.name}:{self.item.id}:{n}"

    def defer(self, write: Callable[[], None]) -> None:
        """Bookkeeping to write in the transaction that ends this row (a sent message's
        status): one transaction per send instead of two. Best effort: if it fails, the
        row is ended without it."""
        self.along.append(write)

    def keyed_by(self, key: str) -> bool:
        """Whether this row's queue key is ``key``: the queue then hands out that key's rows
        one at a time, in order, in every process (see bot.storage.queue)."""
        return self.item.key == self.queue.key_hash(key)

    def finish_within(self) -> None:
        """Mark the row done inside the caller's unit of work (joins its transaction); if the
        lease was lost meanwhile, raise ``LeaseLost`` so the whole turn rolls back: the worker
        now holding the row does it once, not twice."""
        if not self.queue.finish(self.item):
            raise LeaseLost(f"queue item {self.item.id}, attempt {self.item.attempts}")

    def committed(self) -> None:
        self.finished = True


_receipt: ContextVar[Receipt | None] = ContextVar("terrapro_queue_receipt", default=None)


def current_receipt() -> Receipt | None:
    """Inside a pump handler (same task): the row being handled."""
    return _receipt.get()


@contextmanager
def handling(receipt: Receipt) -> Iterator[Receipt]:
    """The scope in which ``current_receipt()`` is this row (the pump's handler call)."""
    token = _receipt.set(receipt)
    try:
        yield receipt
    finally:
        _receipt.reset(token)


class RetryLater(Exception):
    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class GiveUp(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class QueuePump:
    def __init__(
        self,
        queue: DurableQueue,
        *,
        concurrency: int = 32,
        lease: timedelta = timedelta(seconds=30),
        idle_poll: float = 0.2,
        retry_delay: timedelta = timedelta(seconds=2),
        claim_gap: float = 0.02,
    ) -> None:
        """``claim_gap``: after a claim that found nothing, wait this long before the next
        one even when woken. Every accepted message and every finished row wakes the pump;
        under load that was several claim queries per message, most of them empty. Waiting
        a little gathers the wakes into one query that takes several rows."""
        self._claim_gap = claim_gap
        self._backlog_count, self._backlog_at = 0, float("-inf")
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._any_handler: ItemHandler | None = None
        self._on_exhausted: Callable[[dict[str, Any], str], Awaitable[None]] | None = None
        self._more_channels: Callable[[], tuple[str, ...]] = tuple
        # Rows this process wrote without leasing them, that a claim must take once the row
        # ahead of them is done: their keys (with a count and when last seen), and whether
        # some were left for want of a free slot. A finished row wakes the pump only then:
        # waking on every finish made most claims find nothing (a tenth of the CPU at load).
        # Written by accept() from any thread (webhooks and turns write off the loop).
        self._waiting: dict[str, tuple[int, float]] = {}
        self._waiting_lock = threading.Lock()
        self._short_of_slots = False

    @property
    def channels(self) -> tuple[str, ...]:
        """What this process can handle: rows of other channels are left to other processes."""
        return tuple(dict.fromkeys((*self._handlers, *self._more_channels())))

    def register(self, channel: str, handler: ItemHandler) -> None:
        self._handlers[channel] = handler

    def register_all(
        self, channels: Callable[[], tuple[str, ...]], handler: ItemHandler,
        *, on_exhausted: Callable[[dict[str, Any], str], Awaitable[None]] | None = None,
    ) -> None:
        """One handler for whichever channels ``channels()`` names at the time (the outbox: the
        channels whose ports this process has). ``on_exhausted(payload, reason)``: a row whose
        last attempt failed (the handler said "later" once too often) was given up."""
        self._more_channels = channels
        self._any_handler = handler
        self._on_exhausted = on_exhausted

    def accept(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> bool:
        """Write a row durably (call before acknowledging what it holds); False for a duplicate.

        Callable from any thread. When this process can handle the row now (its channel,
        a free slot) and the person has nothing pending, the row is leased to this pump
        as it is written and handled at once, without a claim query; else a claim takes
        it in its turn. Inside a unit of work, handling starts once it has committed.
        """
        loop = self._target_loop()
        room = loop is not None and not self._stopping and len(self._running) < self._slots and channel in self.channels
        accepted, item = self._queue.accept_leased(
            channel, dedupe_id, key, payload, worker=self.worker_id if room else None, lease=self._lease,
        )
        if item is not None and loop is not None:
            after_commit(lambda: self._start(loop, item))
        elif accepted:
            self._expect(key, short_of_slots=not room)
            after_commit(self.wake)
        return accepted

    async def deliver(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> None:
        """``accept``, then handle the row in the caller's task when it was leased to us
        (a referent's relay: sent before the console answers)."""
        here = channel in self.channels and not self._stopping  # handled in this task, not a slot
        accepted, item = await asyncio.to_thread(
            self._queue.accept_leased, channel, dedupe_id, key, payload,
            worker=self.worker_id if here else None, lease=self._lease,
        )
        if item is not None:
            await self._run(item)
        elif accepted:
            self._expect(key, short_of_slots=not here)
            self.wake()

    def _expect(self, key: str, *, short_of_slots: bool) -> None:
        """A row was written queued: the claim after the next finished row should look for it."""
        hashed = self._queue.key_hash(key)
        with self._waiting_lock:
            count, _ = self._waiting.get(hashed, (0, 0.0))
            self._waiting[hashed] = (count + 1, time.monotonic())
            self._short_of_slots = self._short_of_slots or short_of_slots

    def _claimed(self, items: list[QueueItem], free: int) -> None:
        stale = time.monotonic() - 2 * self._lease.total_seconds()
        with self._waiting_lock:
            for item in items:
                count, seen = self._waiting.pop(item.key, (0, 0.0))
                if count > 1:
                    self._waiting[item.key] = (count - 1, seen)
            if len(items) < free:
                self._short_of_slots = False
            # A row another process took is never claimed here: forget keys after two leases' time.
            for key in [k for k, (_, seen) in self._waiting.items() if seen < stale]:
                del self._waiting[key]

    def _claim_due_after(self, item: QueueItem) -> bool:
        """Whether finishing ``item`` may have made a row this process knows of claimable
        (rows of other processes, retries and expired leases wait for the idle poll)."""
        with self._waiting_lock:
            return self._short_of_slots or item.key in self._waiting

    def backlog(self) -> int:
        """Rows not finished yet, counted at most every ``BACKLOG_TTL`` seconds: the webhook
        asks before every write, and the count need not be exact to protect the queue."""
        now = time.monotonic()
        if now - self._backlog_at >= BACKLOG_TTL:
            self._backlog_count, self._backlog_at = self._queue.backlog(), now
        return self._backlog_count

    def _target_loop(self) -> asyncio.AbstractEventLoop | None:
        """Where a row leased at its write is handled: the pump's loop once started, else
        the loop of whoever writes (a turn's caller: its own loop stops with the turn)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = caller_loop()
        loop = loop or _running_loop()
        return None if loop is None or loop.is_closed() else loop

    def _start(self, loop: asyncio.AbstractEventLoop, item: QueueItem) -> None:
        """Handle a row leased at its write, on ``loop`` (from any thread)."""
        if not loop.is_closed():  # else the lease expires and a claim takes the row
            _call_on(loop, self._spawn, item)

    def _spawn(self, item: QueueItem) -> None:
        task = asyncio.get_running_loop().create_task(self._run(item))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def wake(self) -> None:
        """Something was accepted in this process: look now instead of at the next poll.

        Callable from any thread (a message turn runs off the event loop)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            _call_on(loop, self._wake.set)

    def start(self) -> None:
        """Inside the running event loop."""
        if self._loop_task is None:
            self._stopping = False
            self._loop = asyncio.get_running_loop()
            self._loop_task = self._loop.create_task(self._claim_loop())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let the turns in flight finish (unfinished ones are re-leased later).

        Every wait here is bounded: a stop never hangs, whatever a handler does with a
        cancellation (asyncio.wait_for in Python 3.11 can even swallow one).
        """
        self._stopping = True
        self._wake.set()
        task, self._loop_task = self._loop_task, None
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=2.0)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=2.0)
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for leftover in pending:
                leftover.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2.0)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the inbox is empty and nothing runs (tests, graceful shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._running or await asyncio.to_thread(self._queue.backlog):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("inbox not drained")
            self.wake()
            await asyncio.sleep(0.01)

    async def _claim_loop(self) -> None:
        while not self._stopping:
            free = self._slots - len(self._running)
            items: list[QueueItem] = []
            if free > 0:
                try:
                    items = await asyncio.to_thread(
                        self._queue.claim, self.worker_id, limit=free, lease=self._lease, channels=self.channels
                    )
                except Exception as exc:  # the database is down: wait and try again
                    log.error("inbox claim failed: %s", type(exc).__name__)
                    await asyncio.sleep(1.0)
                    continue
            for item in items:
                self._spawn(item)
            try:
                self._claimed(items, free)
            except Exception as exc:  # bookkeeping must never stop the claims
                log.error("inbox claim bookkeeping failed: %s", type(exc).__name__)
            if not items or len(self._running) >= self._slots:
                self._wake.clear()
                try:
                    async with asyncio.timeout(self._idle_poll):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                await asyncio.sleep(self._claim_gap)

    async def _run(self, item: QueueItem) -> None:
        handler = self._handlers.get(item.channel) or self._any_handler
        receipt = Receipt(item, self._queue)
        try:
            if handler is None:
                raise LookupError(f"no handler for channel {item.channel}")
            with handling(receipt):
                await handler(item.payload)
        except asyncio.CancelledError:
            raise  # shutdown: the lease expires and another worker takes it
        except LeaseLost:
            # This attempt outlived its lease; its turn was rolled back, and the row is the
            # business of the worker that leased it since.
            log.warning("queue item %s: lease lost during attempt %s, left to its new holder", item.id, item.attempts)
        except RetryLater as later:
            await self._retry(receipt, later.reason, timedelta(seconds=later.delay))
        except GiveUp as final:
            log.warning("queue item %s given up: %s", item.id, final.reason)
            await self._end(receipt, self._queue.give_up, item, final.reason)
        except Exception as exc:
            log.error("queue item %s failed (attempt %s): %s", item.id, item.attempts, type(exc).__name__)
            await self._retry(receipt, type(exc).__name__, self._retry_delay * item.attempts)
        else:
            if await self._end(receipt, self._queue.finish, item) is False:
                # Handled, but after its lease ran out: the new holder may handle it again.
                log.warning("queue item %s: lease lost before the row was ended", item.id)
        finally:
            if self._claim_due_after(item):  # the person's next message may now be claimable
                self.wake()

    async def _retry(self, receipt: Receipt, reason: str, delay: timedelta) -> None:
        status = await self._end(receipt, self._queue.requeue, receipt.item, reason, delay)
        if status == DEAD and self._on_exhausted is not None:
            # Its last attempt failed with "later": a final failure someone must hear of.
            try:
                await self._on_exhausted(receipt.item.payload, reason)
            except Exception as exc:
                log.error("queue item %s: exhaustion not reported: %s", receipt.item.id, type(exc).__name__)

    async def _end(self, receipt: Receipt, end: Callable[..., object], *args: object) -> object:
        """Mark the row (unless the handler's own transaction did: its effects are committed,
        it must never run again) with the deferred bookkeeping, in one transaction."""
        along = receipt.along
        if receipt.finished:
            if not along:
                return None  # nothing left to write: no transaction, no thread hop
            end = _nothing
        try:
            return await asyncio.to_thread(self._queue.together, along, end, *args)
        except Exception as exc:
            if not along:
                raise
            # Bookkeeping must never hold the row back (it would be sent again): end it alone.
            log.warning("queue bookkeeping not written: %s", type(exc).__name__)
            return await asyncio.to_thread(end, *args)


def _nothing(*args: object) -> None:
    pass


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _call_on(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object) -> None:
    """Run ``callback`` on ``loop``: now when already on it, else scheduled from this thread."""
    if _running_loop() is loop:
        callback(*args)
    else:
        loop.call_soon_threadsafe(callback, *args)
