"""Run jobs one at a time per key (a person), different keys concurrently.

Jobs are queued synchronously when the webhook arrives, so arrival order is
the processing order even when an earlier job is slow.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from bot.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class KeyedSerialRunner:
    def __init__(self, max_pending: int = 10_000) -> None:
        self._max_pending = max_pending
        self._queues: dict[str, deque[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values()) + len(self._workers)

    def ensure_room(self, jobs: int) -> None:
        if self.pending + jobs > self._max_pending:
            raise ServiceUnavailable("webhook backlog full")

    def submit(self, key: str, job: Job) -> None:
        """Queue ``job`` after the jobs already queued for ``key``. Needs a running loop."""
        self.ensure_room(1)
        self._queues.setdefault(key, deque()).append(job)
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(self._drain(key))

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue.popleft()
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one bad message must not stop the person's queue
                    log.error("whatsapp job failed: %s", type(exc).__name__)
        finally:
            # No await between the emptiness check and this cleanup: a new
            # submit either landed in ``queue`` before or starts a new worker.
            del self._queues[key]
            del self._workers[key]

    async def join(self) -> None:
        """Wait until every queued job has run (tests, graceful shutdown)."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def aclose(self, timeout: float = 10.0) -> None:
        try:
            await asyncio.wait_for(self.join(), timeout)
        except TimeoutError:
            for task in list(self._workers.values()):
                task.cancel()
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
