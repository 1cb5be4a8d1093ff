"""The delivery engine: claim a row, send it within the rate, record the outcome.

Order per message: claim the row (committed "sending"), send it through the
channel's outbound port on the bulk lane (the port's rate limiter paces it, behind
replies), record the final status. ``RETRY_LATER`` (a 429: the port has paused its
bulk lane) sends the same row again once the pause is over. A crash between claim and record leaves the row
"sending": it is reported as interrupted and never sent again, because we
cannot know whether the platform got it. A port's ``SendNotAttempted`` (the process is
stopping and the send could not even be paced) ends the run the same way, never as a
failed row. Several engines (processes) may work on one campaign: the claim is atomic, so nobody gets a message twice.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.broadcast.ports import Outgoing
from bot.core.outbound import Lane, OutboundPort, SendNotAttempted, SendResult, SendStatus
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository, ClaimedRow, ReminderRecord

log = logging.getLogger(__name__)

REASON_NO_CHANNEL = "canal non disponible pour la diffusion"
# The row status each outcome of the port is recorded as.
ROW_STATUS = {
    SendStatus.SENT: "sent",
    SendStatus.UNREACHABLE: "unreachable",
    SendStatus.WINDOW_CLOSED: "skipped",
    SendStatus.FAILED: "failed",
    SendStatus.RETRY_LATER: "failed",
}
DEFAULT_CONCURRENCY = 16
REASON_TOO_MANY_429 = "limite de débit de la plateforme (429) répétée"
REASON_SENDER_ERROR = "erreur d'envoi"

Progress = Callable[[int, int], None]  # (handled so far in this run, to handle in this run)


@dataclass
class DeliverySummary:
    campaign_id: int
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    queued: int = 0
    # Rows a previous, killed run left "sending": maybe delivered, never re-sent.
    interrupted: int = 0
    # What this run itself did (the counts above are for the whole campaign).
    sent_this_run: int = 0
    handled_this_run: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    done: bool = False


class DeliveryEngine:
    def __init__(
        self,
        repo: CampaignRepository,
        port: OutboundPort,
        channels: Callable[[], tuple[str, ...]],
        *,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int | None = None,
        max_rate_limited: int = 5,
        heartbeat_every: float = 5.0,
    ) -> None:
        self._repo = repo
        self._port = port
        self._channels = channels
        self._clock = clock
        # Enough sends in flight to fill the channels' rates at ~0.5 s platform latency; each
        # waits for its slot in the port, so at most this many rows are "sending" at once.
        self._concurrency = concurrency or DEFAULT_CONCURRENCY
        self._max_rate_limited = max_rate_limited
        self._heartbeat_every = heartbeat_every

    @property
    def has_senders(self) -> bool:
        return bool(self._channels())

    async def deliver(
        self,
        campaign_id: int,
        message: Outgoing,
        *,
        progress: Progress | None = None,
        stop: asyncio.Event | None = None,
    ) -> DeliverySummary:
        """Send every queued row of a materialised campaign; returns when none is left (or on ``stop``)."""
        run_id = uuid.uuid4().hex[:16]
        total = (await asyncio.to_thread(self._repo.counts, campaign_id))["queued"]
        state = {"handled": 0, "sent": 0}

        def claim() -> ClaimedRow | None:
            return self._repo.claim_next(campaign_id, run_id, self._clock())

        async def one(row: ClaimedRow) -> None:
            status, reason = await self._send(row, message)
            await asyncio.to_thread(self._repo.finish, row.row_id, status, self._clock(), reason)
            state["handled"] += 1
            state["sent"] += status == "sent"
            if progress:
                progress(state["handled"], total)

        heart = asyncio.create_task(self._heartbeat(campaign_id))
        try:
            await self._run_workers(claim, one, stop)
        finally:
            heart.cancel()
        await asyncio.to_thread(self._repo.finish_if_drained, campaign_id, self._clock())
        summary = await asyncio.to_thread(self.summary, campaign_id, run_id)
        summary.sent_this_run, summary.handled_this_run = state["sent"], state["handled"]
        return summary

    async def deliver_reminders(
        self, message_for: Callable[[ReminderRecord], Outgoing | str], *, stop: asyncio.Event | None = None
    ) -> int:
        """Send every due reminder once; ``message_for`` returns the message, or a skip reason."""
        run_id = uuid.uuid4().hex[:16]
        count = 0

        def claim():
            return self._repo.claim_due_reminder(run_id, self._clock())

        async def one(claimed) -> None:
            nonlocal count
            reminder, row = claimed
            message = message_for(reminder)
            if isinstance(message, str):
                status, reason = "skipped", message
            else:
                status, reason = await self._send(row, message)
            await asyncio.to_thread(self._repo.finish_reminder, reminder.id, status, self._clock(), reason)
            count += 1

        await self._run_workers(claim, one, stop)
        return count

    def summary(self, campaign_id: int, current_run: str | None = None) -> DeliverySummary:
        counts = self._repo.counts(campaign_id)
        campaign = self._repo.get(campaign_id)
        return DeliverySummary(
            campaign_id=campaign_id, sent=counts["sent"], failed=counts["failed"],
            unreachable=counts["unreachable"], skipped=counts["skipped"], queued=counts["queued"],
            interrupted=self._repo.interrupted(campaign_id, current_run),
            skip_reasons=self._repo.skip_reasons(campaign_id),
            done=bool(campaign and campaign.status == "done"),
        )

    async def _run_workers(self, claim, handle, stop: asyncio.Event | None) -> None:
        async def worker() -> None:
            while stop is None or not stop.is_set():
                claimed = await asyncio.to_thread(claim)
                if claimed is None:
                    return
                await handle(claimed)

        workers = [asyncio.create_task(worker()) for _ in range(self._concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _send(self, row: ClaimedRow, message: Outgoing) -> tuple[str, str | None]:
        """The row's final status and reason."""
        if row.channel not in self._channels():
            return "skipped", REASON_NO_CHANNEL
        result = await self._send_until_accepted(row, message)
        return ROW_STATUS[result.status], result.reason

    async def _send_until_accepted(self, row: ClaimedRow, message: Outgoing) -> SendResult:
        rate_limited = 0
        while True:
            try:
                result = await self._port.send(row.channel, row.external_id, message.reply(), Lane.BULK)
            except (asyncio.CancelledError, SendNotAttempted):
                raise  # shutting down, nothing sent: not a failure of this row
            except Exception as exc:  # a port bug must not stop the campaign
                log.warning("broadcast send error row=%s: %s", row.row_id, type(exc).__name__)
                return SendResult.failed(REASON_SENDER_ERROR)
            if result.status is not SendStatus.RETRY_LATER:
                return result
            # Nothing was delivered and the port paused its bulk lane: same row again after the pause.
            rate_limited += 1
            log.info("broadcast 429: retry after %.1fs", result.retry_after or 0)
            if rate_limited > self._max_rate_limited:
                return SendResult.failed(REASON_TOO_MANY_429)

    async def _heartbeat(self, campaign_id: int) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_every)
            try:
                await asyncio.to_thread(self._repo.heartbeat, campaign_id, self._clock())
            except Exception as exc:  # a missed heartbeat only delays a stall check
                log.warning("broadcast heartbeat failed: %s", type(exc).__name__)
