"""The delivery engine: claim a row, send it within the rate, record the outcome.

Order per message: claim the row (committed "sending"), hand it to the channel's
outbound port on the bulk lane (the port's rate limiter paces it, behind replies);
once the slot is granted and right before the request is written, the port calls
back and the row's ``attempted_at`` is committed; then the outcome is recorded.

What a row becomes:
- the platform answered: sent / failed / unreachable / skipped (window closed);
- written, no answer (read timeout, connection lost, the sender died after writing):
  "uncertain", never sent again;
- certainly not delivered (connection refused or connect timeout: ``NOT_SENT``; a 429
  (``RETRY_LATER``) retried too often; the sender died or was stopped before writing):
  back to queued, sent by a later run. A run does not take back a row it put back
  itself, and stops claiming rows of a channel found down, so a platform outage
  ends the run with those rows queued ("Pas terminée") instead of spinning.

A 429 on the bulk lane pauses the lane in the port; the same row is sent again once
the pause is over. A live run refreshes its claims with the campaign's heartbeat; a
claim older than ``claim_lease`` is a dead run's and is recovered by whoever runs
next (never attempted -> queued, attempted -> uncertain). Several engines (processes)
may work on one campaign: the claim is atomic, so nobody gets a message twice. A
port's ``SendNotAttempted`` (the process is stopping and the send could not even be
paced) ends the run like a stop: the row, never attempted, goes back to the queue.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.broadcast.ports import Outgoing
from bot.core.outbound import Lane, OutboundPort, SendNotAttempted, SendStatus
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository, ClaimedRow, ReminderRecord, RowKind

log = logging.getLogger(__name__)

REASON_NO_CHANNEL = "canal non disponible pour la diffusion"
# The row status each final outcome of the port is recorded as.
ROW_STATUS = {
    SendStatus.SENT: "sent",
    SendStatus.UNREACHABLE: "unreachable",
    SendStatus.WINDOW_CLOSED: "skipped",
    SendStatus.FAILED: "failed",
    SendStatus.UNCERTAIN: "uncertain",
}
DEFAULT_CONCURRENCY = 16
REASON_TOO_MANY_429 = "limite de débit de la plateforme (429) répétée"
REASON_SENDER_ERROR = "erreur d'envoi"
# How long a run whose queue is empty waits for rows other runs hold (a dead run's come
# back once their lease expires), checking this often.
HELD_ELSEWHERE_POLL = 1.0

Progress = Callable[[int, int], None]  # (handled so far in this run, to handle in this run)


@dataclass
class DeliverySummary:
    campaign_id: int
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    queued: int = 0
    # May have reached the person (written, no answer; or the sender died after writing): never re-sent.
    uncertain: int = 0
    # Held by another run still sending when this one ended.
    in_flight: int = 0
    # What this run itself did (the counts above are for the whole campaign).
    sent_this_run: int = 0
    handled_this_run: int = 0
    # Rows this run gave back to the queue (platform unreachable, repeated 429): for the next run.
    postponed_this_run: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    done: bool = False


class ClaimLost(Exception):
    """The row is no longer this run's (its claim expired and was recovered): send nothing."""


@dataclass(frozen=True)
class _Outcome:
    status: str | None  # a final row status, or None: back to the queue
    reason: str | None = None
    channel_down: bool = False  # the platform could not be reached: stop claiming its rows
    lost: bool = False  # the row is not ours any more: record nothing

    @property
    def postponed(self) -> bool:
        return self.status is None and not self.lost


class _WriteMark:
    """The port's ``on_write``: commits the row's ``attempted_at`` right before the request leaves."""

    def __init__(self, repo: CampaignRepository, row_id: int, run_id: str, kind: RowKind,
                 clock: Callable[[], datetime]) -> None:
        self._repo, self._row_id, self._run_id, self._kind, self._clock = repo, row_id, run_id, kind, clock
        self.done = False  # committed: the request may have left
        self.failed = False  # could not commit: nothing was sent

    async def __call__(self) -> None:
        try:
            ours = await asyncio.to_thread(
                self._repo.mark_attempted, self._row_id, self._run_id, self._clock(), kind=self._kind
            )
        except Exception:
            self.failed = True
            raise
        if not ours:
            self.failed = True
            raise ClaimLost()
        self.done = True


class _Outcomes:
    """Final statuses written in batches, one transaction per batch (at most ``max_rows`` rows or
    ``max_delay`` seconds): a commit per message would cost as much as the claim and the
    attempt mark together. Safe: a crash before a batch is written leaves its rows attempted,
    recovered as "uncertain" — never sent again."""

    def __init__(self, repo: CampaignRepository, run_id: str, kind: RowKind, clock: Callable[[], datetime],
                 *, max_rows: int = 64, max_delay: float = 0.05) -> None:
        self._repo, self._run_id, self._kind, self._clock = repo, run_id, kind, clock
        self._max_rows, self._max_delay = max_rows, max_delay
        self._pending: list[tuple[int, str, str | None]] = []
        self._full = asyncio.Event()
        self._closing = False

    def add(self, row_id: int, status: str, reason: str | None) -> None:
        self._pending.append((row_id, status, reason))
        if len(self._pending) >= self._max_rows:
            self._full.set()

    def _take(self) -> list[tuple[int, str, str | None]]:
        batch, self._pending = self._pending, []
        self._full.clear()
        return batch

    def _write(self, batch: list[tuple[int, str, str | None]]) -> None:
        self._repo.finish_many(batch, self._clock(), run_id=self._run_id, kind=self._kind)

    async def run(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._full.wait(), timeout=self._max_delay)
            except TimeoutError:
                pass
            batch = self._take()
            if batch:
                await _to_thread_to_the_end(lambda batch=batch: self._write(batch))

    async def close(self, writer: asyncio.Task) -> None:
        """The run is over: the last outcomes are written before anybody reads the counts."""
        self._closing = True
        self._full.set()
        await writer
        batch = self._take()
        if batch:
            await asyncio.to_thread(self._write, batch)

    def flush_sync(self) -> None:
        """On the way out of a cancelled run (blocking, on purpose)."""
        batch = self._take()
        if batch:
            try:
                self._write(batch)
            except Exception as exc:  # then they are recovered as uncertain: never sent twice
                log.warning("broadcast: outcomes not recorded: %s", type(exc).__name__)


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
        claim_lease: float | None = None,
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
        # Several missed heartbeats before a run's claims are taken for a dead run's.
        self._lease = timedelta(seconds=claim_lease if claim_lease is not None else 6 * heartbeat_every)

    @property
    def has_senders(self) -> bool:
        return bool(self._channels())

    @property
    def claim_lease(self) -> timedelta:
        return self._lease

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
        await self._recover(campaign_id=campaign_id)
        total = (await asyncio.to_thread(self._repo.counts, campaign_id))["queued"]
        state = {"handled": 0, "sent": 0, "postponed": 0}
        down: set[str] = set()

        def claim() -> ClaimedRow | None:
            return self._repo.claim_next(campaign_id, run_id, self._clock(), exclude_channels=tuple(sorted(down)))

        outcomes = _Outcomes(self._repo, run_id, "recipient", self._clock)

        async def one(row: ClaimedRow) -> None:
            outcome = await self._send(row, message, run_id, "recipient")
            await self._record(row, outcome, run_id, "recipient", down, outcomes)
            if outcome.lost:
                return
            state["postponed"] += outcome.postponed
            state["handled"] += 1
            state["sent"] += outcome.status == "sent"
            if progress:
                progress(state["handled"], total)

        heart = asyncio.create_task(self._heartbeat(run_id, campaign_id))
        writer = asyncio.create_task(outcomes.run())
        try:
            await self._drain(claim, one, stop, lambda: self._repo.held_elsewhere(run_id, campaign_id=campaign_id),
                              lambda: self._recover(campaign_id=campaign_id))
            await outcomes.close(writer)
        except BaseException:
            # Cancelled (Ctrl-C, shutdown) or broken: what the platform answered is recorded, and
            # the rows this run still holds go back to the queue, or to "uncertain" when their
            # request may have left.
            writer.cancel()
            await _settle(writer)  # the batch it was writing lands first
            outcomes.flush_sync()
            self._release_run(run_id, campaign_id=campaign_id)
            raise
        finally:
            heart.cancel()
        await asyncio.to_thread(self._repo.finish_if_drained, campaign_id, self._clock())
        summary = await asyncio.to_thread(self.summary, campaign_id)
        summary.sent_this_run, summary.handled_this_run = state["sent"], state["handled"]
        summary.postponed_this_run = state["postponed"]
        return summary

    async def deliver_reminders(
        self, message_for: Callable[[ReminderRecord], Outgoing | str], *, stop: asyncio.Event | None = None
    ) -> int:
        """Send every due reminder once; ``message_for`` returns the message, or a skip reason."""
        run_id = uuid.uuid4().hex[:16]
        count = 0
        down: set[str] = set()
        await self._recover(kind="reminder")

        def claim():
            return self._repo.claim_due_reminder(run_id, self._clock(), exclude_channels=tuple(sorted(down)))

        outcomes = _Outcomes(self._repo, run_id, "reminder", self._clock)

        async def one(claimed) -> None:
            nonlocal count
            reminder, row = claimed
            message = message_for(reminder)
            if isinstance(message, str):
                outcome = _Outcome("skipped", message)
            else:
                outcome = await self._send(row, message, run_id, "reminder")
            await self._record(row, outcome, run_id, "reminder", down, outcomes)
            count += not outcome.lost

        heart = asyncio.create_task(self._heartbeat(run_id, None))
        writer = asyncio.create_task(outcomes.run())
        try:
            # No waiting for reminders other runs hold: the next tick recovers a dead run's.
            await self._run_workers(claim, one, stop)
            await outcomes.close(writer)
        except BaseException:
            writer.cancel()
            await _settle(writer)
            outcomes.flush_sync()
            self._release_run(run_id, kind="reminder")
            raise
        finally:
            heart.cancel()
        return count

    def summary(self, campaign_id: int) -> DeliverySummary:
        counts = self._repo.counts(campaign_id)
        campaign = self._repo.get(campaign_id)
        return DeliverySummary(
            campaign_id=campaign_id, sent=counts["sent"], failed=counts["failed"],
            unreachable=counts["unreachable"], skipped=counts["skipped"], queued=counts["queued"],
            uncertain=counts["uncertain"], in_flight=counts["sending"],
            skip_reasons=self._repo.skip_reasons(campaign_id),
            done=bool(campaign and campaign.status == "done"),
        )

    def _release_run(self, run_id: str, *, campaign_id: int | None = None, kind: RowKind = "recipient") -> None:
        # Synchronous on purpose: the task is being cancelled. If it fails, the claims
        # expire and the next run recovers them the same way.
        try:
            self._repo.release_run(run_id, self._clock(), campaign_id=campaign_id, kind=kind)
        except Exception as exc:
            log.warning("broadcast: could not hand back the rows of an interrupted run: %s", type(exc).__name__)

    async def _recover(self, *, campaign_id: int | None = None, kind: RowKind = "recipient") -> None:
        now = self._clock()
        requeued, uncertain = await asyncio.to_thread(
            self._repo.recover_stale, now - self._lease, now, campaign_id=campaign_id, kind=kind
        )
        if requeued or uncertain:
            log.info("broadcast %s rows a dead sender left: %d queued again, %d uncertain", kind, requeued, uncertain)

    async def _drain(
        self, claim, handle, stop: asyncio.Event | None,
        held_elsewhere: Callable[[], int], recover: Callable[[], Awaitable[None]],
    ) -> None:
        """Run the workers until nothing is claimable; then, while other runs hold rows, wait
        (at most about one lease) for a dead run's claims to expire and send those too."""
        waiting_since: float | None = None
        limit = self._lease.total_seconds() + self._heartbeat_every
        while True:
            await self._run_workers(claim, handle, stop)
            if stop is not None and stop.is_set():
                return
            if not await asyncio.to_thread(held_elsewhere):
                return
            waiting_since = waiting_since if waiting_since is not None else time.monotonic()
            if time.monotonic() - waiting_since > limit:
                return  # a live run is still at it: its rows are its own
            await _sleep_or_stop(min(HELD_ELSEWHERE_POLL, limit), stop)
            await recover()

    async def _run_workers(self, claim, handle, stop: asyncio.Event | None) -> None:
        async def worker() -> None:
            while stop is None or not stop.is_set():
                claimed = await _to_thread_to_the_end(claim)
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

    async def _send(self, row: ClaimedRow, message: Outgoing, run_id: str, kind: RowKind) -> _Outcome:
        if row.channel not in self._channels():
            return _Outcome("skipped", REASON_NO_CHANNEL)
        rate_limited = 0
        while True:
            written = _WriteMark(self._repo, row.row_id, run_id, kind, self._clock)
            try:
                result = await self._port.send(row.channel, row.external_id, message.reply(), Lane.BULK,
                                               on_write=written)
            except (asyncio.CancelledError, SendNotAttempted):
                raise  # shutting down, nothing sent: the row is handed back, not failed
            except ClaimLost:
                return _Outcome(None, lost=True)
            except Exception as exc:  # a port bug must not stop the campaign
                log.warning("broadcast send error row=%s: %s", row.row_id, type(exc).__name__)
                if written.done:
                    return _Outcome("uncertain", REASON_SENDER_ERROR)
                if written.failed:  # our own bookkeeping failed right before the write: nothing left
                    return _Outcome(None, REASON_SENDER_ERROR)
                return _Outcome("failed", REASON_SENDER_ERROR)
            status = result.status
            if status is SendStatus.NOT_SENT:
                return _Outcome(None, result.reason, channel_down=True)
            if status is not SendStatus.RETRY_LATER:
                return _Outcome(ROW_STATUS[status], result.reason)
            # Nothing was delivered and the port paused its bulk lane: same row again after the pause.
            if written.done:
                await asyncio.to_thread(self._repo.clear_attempted, row.row_id, run_id, kind=kind)
            rate_limited += 1
            log.info("broadcast 429: retry after %.1fs", result.retry_after or 0)
            if rate_limited > self._max_rate_limited:
                return _Outcome(None, REASON_TOO_MANY_429)

    async def _record(
        self, row: ClaimedRow, outcome: _Outcome, run_id: str, kind: RowKind, down: set[str], outcomes: _Outcomes
    ) -> None:
        if outcome.lost:
            return
        if outcome.channel_down and row.channel not in down:
            log.warning("broadcast: %s unreachable, its rows wait for the next run", row.channel)
            down.add(row.channel)
        if outcome.status is None:
            # At once: a row certainly not delivered must not be taken for "maybe" after a crash.
            await asyncio.to_thread(self._repo.release, row.row_id, run_id, kind=kind)
        else:
            outcomes.add(row.row_id, outcome.status, outcome.reason)

    async def _heartbeat(self, run_id: str, campaign_id: int | None) -> None:
        kind: RowKind = "recipient" if campaign_id is not None else "reminder"
        while True:
            await asyncio.sleep(self._heartbeat_every)
            try:
                now = self._clock()
                if campaign_id is not None:
                    await asyncio.to_thread(self._repo.heartbeat, campaign_id, now)
                await asyncio.to_thread(self._repo.refresh_claims, run_id, now, kind=kind)
            except Exception as exc:  # a missed heartbeat only delays a stall check
                log.warning("broadcast heartbeat failed: %s", type(exc).__name__)


async def _to_thread_to_the_end(fn):
    """``asyncio.to_thread(fn)``, but a cancellation waits for ``fn`` to finish first: a claim
    (or an outcome) committed by a thread nobody awaits any more would escape the run's hand-back."""
    future = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await _settle(future)
        raise


async def _settle(future: asyncio.Future) -> None:
    """Wait until ``future`` is done, whatever cancellations arrive meanwhile (gather, then a finally)."""
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            continue


async def _sleep_or_stop(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
