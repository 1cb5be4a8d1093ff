"""Announces tickets nobody announced yet (restarts, crashes) and re-announces unclaimed ones."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.handoff.service import HandoffService

log = logging.getLogger(__name__)


class HandoffWorker:
    def __init__(self, service: HandoffService, *, interval: float = 15.0) -> None:
        self._service = service
        self._interval = interval
        self._task: asyncio.Task | None = None

    async def run_once(self) -> int:
        return await self._service.announce_pending()

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup must not end the loop
                log.warning("handoff worker: %s", type(exc).__name__)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="handoff-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
