"""The scheduler loop: due campaigns, campaigns a dead sender left, due reminders."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.broadcast.engine import DeliverySummary
from bot.broadcast.errors import BroadcastRefused
from bot.broadcast.reminders import Reminders
from bot.broadcast.service import BroadcastService
from bot.core.errors import TerraProError

log = logging.getLogger(__name__)


@dataclass
class Tick:
    campaigns: list[DeliverySummary] = field(default_factory=list)
    reminders: int = 0


class BroadcastWorker:
    def __init__(
        self,
        service: BroadcastService,
        reminders: Reminders,
        *,
        interval: float = 30.0,
        # Longer than the engine's heartbeat period: a live sender is never taken for dead.
        stall_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self._service = service
        self._reminders = reminders
        self._interval = interval
        self._stall_after = stall_after

    async def run_once(self, stop: asyncio.Event | None = None) -> Tick:
        tick = Tick()
        todo = {c.id: c for c in self._service.due()}
        todo.update({c.id: c for c in self._service.stalled(self._stall_after)})
        for campaign_id in sorted(todo):
            if stop is not None and stop.is_set():
                return tick
            try:
                summary = await self._service.send(campaign_id, stop=stop)
            except BroadcastRefused as exc:
                # Its event has passed meanwhile: close it, say so, go on with the others.
                log.warning("campaign %s abandoned: %s", campaign_id, exc)
                self._service.abandon(campaign_id)
                continue
            except TerraProError as exc:  # no channel configured: retried next tick
                log.warning("campaign %s not sent: %s", campaign_id, exc)
                continue
            log.info("campaign %s: %d sent this run, %d queued left", campaign_id, summary.sent_this_run, summary.queued)
            tick.campaigns.append(summary)
        tick.reminders = await self._reminders.send_due(stop=stop)
        return tick

    async def run(self, stop: asyncio.Event, interval: float | None = None) -> None:
        """Until ``stop`` is set; an error in one tick is logged, the loop goes on."""
        interval = self._interval if interval is None else interval
        while not stop.is_set():
            try:
                await self.run_once(stop)
            except Exception:
                log.exception("broadcast worker tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
