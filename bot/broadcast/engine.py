"""The delivery engine: claim a row, send it within the rate, record the outcome.

Order per message: wait for a rate slot, claim the row (committed "sending"),
send, record the final status. A crash between claim and record leaves the row
"sending": it is reported as interrupted and never sent again, because we
cannot know whether the platform got it. Several engines (processes) may work
on one campaign: the claim is atomic, so nobody gets a message twice.
"""
from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.broadcast.ports import Outgoing, Recipient, RecipientSender, SendResult, SendStatus
from bot.broadcast.ratelimit import BULK, SlidingWindowLimiter, Slot
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository, ClaimedRow, ReminderRecord

log = logging.getLogger(__name__)

REASON_NO_CHANNEL = "canal non disponible pour la diffusion"
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


def _recipient(row: ClaimedRow) -> Recipient:
    return Recipient(
        person_id=row.person_id, channel=row.channel, external_id=row.external_id,
        language=row.language, last_inbound_at=row.last_inbound_at,
    )


class DeliveryEngine:
    def __init__(
        self,
        repo: CampaignRepository,
        senders: Mapping[str, RecipientSender],
        limiter: SlidingWindowLimiter,
        *,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int | None = None,
        max_rate_limited: int = 5,
        heartbeat_every: float = 5.0,
    ) -> None:
        self._repo = repo
        self._senders = dict(senders)
        self._limiter = limiter
        self._clock = clock
        # Enough sends in flight to fill the rate at ~0.5 s platform latency.
        self._concurrency = concurrency or max(2, min(64, math.ceil(limiter.capacity / 2)))
        self._max_rate_limited = max_rate_limited
        self._heartbeat_every = heartbeat_every

    @property
    def has_senders(self) -> bool:
        return bool(self._senders)

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

        async def one(row: ClaimedRow, slot: Slot) -> None:
            result = await self._send(row, message, slot)
            await asyncio.to_thread(
                self._repo.finish, row.row_id, result.status.value, self._clock(), result.reason
            )
            state["handled"] += 1
            state["sent"] += result.status is SendStatus.SENT
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

        async def one(claimed, slot: Slot) -> None:
            nonlocal count
            reminder, row = claimed
            message = message_for(reminder)
            if isinstance(message, str):
                slot.cancel()
                result = SendResult.skipped(message)
            else:
                result = await self._send(row, message, slot)
            await asyncio.to_thread(
                self._repo.finish_reminder, reminder.id, result.status.value, self._clock(), result.reason
            )
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
                # Slot first, then claim: a row is "sending" only while its message is really going out.
                slot = await self._limiter.acquire(BULK)
                try:
                    claimed = await asyncio.to_thread(claim)
                except BaseException:
                    slot.cancel()
                    raise
                if claimed is None:
                    slot.cancel()
                    return
                try:
                    await handle(claimed, slot)
                except BaseException:
                    slot.done()  # no-op if already released; cancelled mid-send counts as sent
                    raise

        workers = [asyncio.create_task(worker()) for _ in range(self._concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _send(self, row: ClaimedRow, message: Outgoing, slot: Slot) -> SendResult:
        sender = self._senders.get(row.channel)
        if sender is None:
            slot.cancel()
            return SendResult.skipped(REASON_NO_CHANNEL)
        recipient = _recipient(row)
        rate_limited = 0
        while True:
            try:
                result = await sender.send(recipient, message)
            except asyncio.CancelledError:
                slot.done()
                raise
            except Exception as exc:  # a sender bug must not stop the campaign
                slot.done()
                log.warning("broadcast send error row=%s: %s", row.row_id, type(exc).__name__)
                return SendResult.failed(REASON_SENDER_ERROR)
            if result.attempted:
                slot.done()
            else:
                slot.cancel()
            if result.status is not SendStatus.RETRY_AFTER:
                return result
            # Nothing was delivered: pause every bulk send, then retry this same row.
            rate_limited += 1
            log.info("broadcast 429: pausing %.1fs", result.retry_after or 0)
            self._limiter.pause(result.retry_after or 1.0)
            if rate_limited > self._max_rate_limited:
                return SendResult.failed(REASON_TOO_MANY_429)
            slot = await self._limiter.acquire(BULK)  # the row stays "sending" meanwhile

    async def _heartbeat(self, campaign_id: int) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_every)
            try:
                await asyncio.to_thread(self._repo.heartbeat, campaign_id, self._clock())
            except Exception as exc:  # a missed heartbeat only delays a stall check
                log.warning("broadcast heartbeat failed: %s", type(exc).__name__)
