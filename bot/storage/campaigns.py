"""Broadcast campaigns, their recipients and event reminders: durable delivery state.

Every message a broadcast sends is one row that goes queued -> sending -> a final
status. A delivery run claims a row ("sending", committed, ``claimed_at``) before it
waits for the channel's rate limiter; only once the slot is granted, right before
the request is written, is ``attempted_at`` committed: from then on the platform may
have the message. So after a crash a row left "sending" tells which it is: never
attempted -> back to queued (sent on resume), attempted -> "uncertain" (maybe
delivered, never sent again). A live run refreshes ``claimed_at`` of its rows; rows
whose claim is older than the lease belong to a dead run and are recovered. A row
the platform certainly did not get (connection refused, repeated 429) goes back to
queued with the run's id, so that run does not take it again: the next run does.
Reminders follow the same rules. Rows hold ids and statuses, never the person's
platform id or any personal text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, as_utc, utcnow
from bot.storage.database import Database
from bot.storage.identity import IdentityProtector
from bot.storage.models import Person, Subscription
from bot.storage.persons import clear_external_id
from bot.storage.records import InvalidValue

CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "done")
ROW_STATUSES = ("queued", "sending", "sent", "failed", "unreachable", "skipped", "uncertain")
# "uncertain": the request may have reached the platform but no answer came back (the
# sender died, the connection dropped): never sent again.
FINAL_STATUSES = ("sent", "failed", "unreachable", "skipped", "uncertain")
MAX_TEXT = 4000  # Telegram's message limit is 4096; keep room for the event line
MAX_REASON = 80

REASON_UNSUBSCRIBED = "désabonné avant l'envoi"
REASON_INACTIVE = "personne injoignable"
REASON_OUT_OF_SEGMENT = "abonnement hors du segment"
REASON_INTERRUPTED = "envoi interrompu après le départ du message"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Campaign(Base):
    __tablename__ = "broadcast_campaigns"
    __table_args__ = (
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
        Index("ix_broadcast_campaigns_due", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    territoire: Mapped[str | None] = mapped_column(String(32))
    bassin: Mapped[str | None] = mapped_column(String(64))
    filiere: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(32))
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Set once, when the recipient rows are written: guards against a second materialisation.
    materialised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    # Refreshed by the process delivering it, so a worker can tell a dead sender from a live one.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CampaignRecipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "person_id"),
        CheckConstraint(_in("status", ROW_STATUSES), name="status"),
        Index("ix_broadcast_recipients_queue", "campaign_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    # Which delivery run claimed the row (or last put it back in the queue).
    run_id: Mapped[str | None] = mapped_column(String(32))
    # Refreshed by the live run holding it: an old claim is a dead run's.
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set right before the request is written: from then on the platform may have it.
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Reminder(Base):
    """"Me le rappeler": one reminder per (person, event), sent once when due."""

    __tablename__ = "broadcast_reminders"
    __table_args__ = (
        UniqueConstraint("person_id", "event_id"),
        CheckConstraint(_in("status", ROW_STATUSES), name="status"),
        Index("ix_broadcast_reminders_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    run_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Which table a delivery row lives in: a campaign's recipients, or the reminders.
RowKind = Literal["recipient", "reminder"]
_ROW_TABLES: dict[str, type[CampaignRecipient] | type[Reminder]] = {
    "recipient": CampaignRecipient, "reminder": Reminder,
}


@dataclass(frozen=True)
class CampaignRecord:
    id: int
    text: str
    territoire: str | None
    bassin: str | None
    filiere: str | None
    event_id: str | None
    scheduled_at: datetime | None
    status: str
    created_at: datetime
    materialised_at: datetime | None
    recipient_count: int
    heartbeat_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class ClaimedRow:
    """A row now "sending", with what a channel needs to reach the person."""

    row_id: int
    person_id: int
    channel: str
    external_id: str
    language: str
    last_inbound_at: datetime | None


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    person_id: int
    event_id: str
    due_at: datetime
    status: str
    reason: str | None


def _campaign_record(c: Campaign) -> CampaignRecord:
    return CampaignRecord(
        id=c.id, text=c.text, territoire=c.territoire, bassin=c.bassin, filiere=c.filiere,
        event_id=c.event_id, scheduled_at=as_utc(c.scheduled_at), status=c.status,
        created_at=as_utc(c.created_at),  # type: ignore[arg-type]
        materialised_at=as_utc(c.materialised_at), recipient_count=c.recipient_count or 0,
        heartbeat_at=as_utc(c.heartbeat_at), finished_at=as_utc(c.finished_at),
    )


def _reminder_record(r: Reminder) -> ReminderRecord:
    return ReminderRecord(
        id=r.id, person_id=r.person_id, event_id=r.event_id,
        due_at=as_utc(r.due_at), status=r.status, reason=r.reason,  # type: ignore[arg-type]
    )


_CANDIDATE_COLUMNS = (
    Person.id, Person.channel, Person.external_id_encrypted, Person.language, Person.last_inbound_at, Person.status,
    Subscription.person_id, Subscription.territoire, Subscription.bassin, Subscription.filiere,
)


def _ineligible_reason(row, segment: tuple[str | None, str | None, str | None] | None) -> str | None:
    """Why this person must not get the message now, read inside the claiming transaction.

    This is the last look before sending: an opt-out or a block recorded after the
    recipients were listed wins.
    """
    if row.id is None or row.status != "active":
        return REASON_INACTIVE
    if row.person_id is None:
        return REASON_UNSUBSCRIBED
    if segment is not None:
        territoire, bassin, filiere = segment
        if territoire and row.territoire != territoire:
            return REASON_OUT_OF_SEGMENT
        if bassin and row.bassin not in (None, bassin):
            return REASON_OUT_OF_SEGMENT
        if filiere and row.filiere not in (None, filiere):
            return REASON_OUT_OF_SEGMENT
    return None


def _claimed_from(row_id: int, row, identity: IdentityProtector) -> ClaimedRow:
    return ClaimedRow(
        row_id=row_id, person_id=row.id, channel=row.channel,
        external_id=clear_external_id(identity, row.channel, row.external_id_encrypted),
        language=row.language, last_inbound_at=as_utc(row.last_inbound_at),
    )


class CampaignRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._postgres = db.dialect == "postgresql"
        self._segments: dict[int, tuple[str | None, str | None, str | None]] = {}

    # Campaigns ---------------------------------------------------------------

    def create(
        self,
        text: str,
        *,
        territoire: str | None = None,
        bassin: str | None = None,
        filiere: str | None = None,
        event_id: str | None = None,
        scheduled_at: datetime | None = None,
        now: datetime | None = None,
    ) -> CampaignRecord:
        text = (text or "").replace("\x00", "").strip()
        if not text:
            raise InvalidValue("le texte du message est vide")
        if len(text) > MAX_TEXT:
            raise InvalidValue(f"le texte dépasse {MAX_TEXT} caractères")
        with self._db.session() as session:
            campaign = Campaign(
                text=text, territoire=territoire or None, bassin=bassin or None,
                filiere=filiere or None, event_id=event_id or None, scheduled_at=scheduled_at,
                status="scheduled" if scheduled_at else "draft", created_at=now or utcnow(),
            )
            session.add(campaign)
            session.flush()
            return _campaign_record(campaign)

    def get(self, campaign_id: int) -> CampaignRecord | None:
        with self._db.session() as session:
            campaign = session.get(Campaign, campaign_id)
            return _campaign_record(campaign) if campaign else None

    def list(self, limit: int = 50) -> list[CampaignRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(max(0, limit)))
            return [_campaign_record(c) for c in rows]

    def unschedule(self, campaign_id: int) -> bool:
        with self._db.session() as session:
            return session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status == "scheduled", Campaign.materialised_at.is_(None))
                .values(status="draft", scheduled_at=None)
                .execution_options(synchronize_session=False)
            ).rowcount > 0

    def due(self, now: datetime) -> list[CampaignRecord]:
        with self._db.session() as session:
            rows = session.scalars(
                select(Campaign)
                .where(Campaign.status == "scheduled", Campaign.scheduled_at <= now)
                .order_by(Campaign.scheduled_at, Campaign.id)
            )
            return [_campaign_record(c) for c in rows]

    def stalled(self, older_than: datetime) -> list[CampaignRecord]:
        """Campaigns left "sending" by a sender whose heartbeat stopped (crash)."""
        with self._db.session() as session:
            rows = session.scalars(
                select(Campaign)
                .where(
                    Campaign.status == "sending",
                    or_(Campaign.heartbeat_at.is_(None), Campaign.heartbeat_at < older_than),
                )
                .order_by(Campaign.id)
            )
            return [_campaign_record(c) for c in rows]

    def materialise(self, campaign_id: int, person_ids: list[int], now: datetime) -> bool:
        """Write one queued row per person, once per campaign; True if this call did it.

        The conditional UPDATE is the guard: on PostgreSQL it row-locks the campaign
        so a concurrent caller waits and then sees materialised_at set; on SQLite the
        IMMEDIATE transaction serialises writers.
        """
        unique_ids = list(dict.fromkeys(person_ids))
        with self._db.session() as session:
            won = session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.materialised_at.is_(None))
                .values(materialised_at=now, status="sending", heartbeat_at=now,
                        recipient_count=len(unique_ids))
            ).rowcount
            if not won:
                return False
            if unique_ids:
                session.execute(
                    CampaignRecipient.__table__.insert(),
                    [{"campaign_id": campaign_id, "person_id": pid, "status": "queued"} for pid in unique_ids],
                )
            return True

    def mark_sending(self, campaign_id: int, now: datetime) -> None:
        with self._db.session() as session:
            session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status != "done")
                .values(status="sending", heartbeat_at=now)
            )

    def heartbeat(self, campaign_id: int, now: datetime) -> None:
        with self._db.session() as session:
            session.execute(update(Campaign).where(Campaign.id == campaign_id).values(heartbeat_at=now))

    def finish_if_drained(self, campaign_id: int, now: datetime) -> bool:
        """Mark the campaign done when no row is left to send or in flight; True if it is done."""
        with self._db.session() as session:
            left = session.scalar(
                select(func.count()).select_from(CampaignRecipient)
                .where(CampaignRecipient.campaign_id == campaign_id,
                       CampaignRecipient.status.in_(("queued", "sending")))
            )
            if left:
                return False
            session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.status != "done")
                .values(status="done", finished_at=now)
            )
            return True

    # Recipient rows ------------------------------------------------------------

    def claim_next(
        self, campaign_id: int, run_id: str, now: datetime, *, exclude_channels: tuple[str, ...] = ()
    ) -> ClaimedRow | None:
        """Move the next queued row to "sending" (committed) and return it, or None when none is left.

        Rows whose person opted out, became unreachable or left the segment since
        materialisation are marked skipped on the way. Safe with several processes:
        the UPDATE only succeeds while the row is still queued (and PostgreSQL skips
        rows another transaction is claiming). Rows this run put back in the queue,
        and rows of ``exclude_channels`` (found down during this run), are left alone.
        """
        segment = self._segment(campaign_id)
        while True:
            with self._db.session() as session:
                # One round trip picks the row and reads the person and their subscription.
                pick = (
                    select(CampaignRecipient.id.label("row_id"), *_CANDIDATE_COLUMNS)
                    .outerjoin(Person, Person.id == CampaignRecipient.person_id)
                    .outerjoin(Subscription, Subscription.person_id == CampaignRecipient.person_id)
                    .where(
                        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "queued",
                        *_claimable(CampaignRecipient, run_id, exclude_channels),
                    )
                    .order_by(CampaignRecipient.id)
                    .limit(1)
                )
                if self._postgres:
                    pick = pick.with_for_update(skip_locked=True, of=CampaignRecipient)
                found = session.execute(pick).first()
                if found is None:
                    return None
                reason = _ineligible_reason(found, segment)
                values = (
                    {"status": "skipped", "reason": reason, "run_id": run_id, "claimed_at": now, "finished_at": now}
                    if reason
                    else {"status": "sending", "run_id": run_id, "claimed_at": now, "attempted_at": None}
                )
                taken = session.execute(
                    update(CampaignRecipient)
                    .where(CampaignRecipient.id == found.row_id, CampaignRecipient.status == "queued")
                    .values(**values)
                ).rowcount
                if taken and not reason:
                    return _claimed_from(found.row_id, found, self._db.identity)
            # Skipped, or lost the race for this row: look at the next one.

    def _segment(self, campaign_id: int) -> tuple[str | None, str | None, str | None] | None:
        # A campaign's segment never changes once created: read it once per process.
        if campaign_id not in self._segments:
            campaign = self.get(campaign_id)
            if campaign is None:
                return None
            self._segments[campaign_id] = (campaign.territoire, campaign.bassin, campaign.filiere)
        return self._segments[campaign_id]

    def finish(
        self, row_id: int, status: str, now: datetime, reason: str | None = None, *,
        run_id: str | None = None, kind: RowKind = "recipient",
    ) -> None:
        """Record a row's final status (only while it is still "sending", and ``run_id``'s if given)."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final status: {status}")
        table = _ROW_TABLES[kind]
        with self._db.session() as session:
            session.execute(
                update(table)
                .where(table.id == row_id, table.status == "sending", *_held_by(table, run_id))
                .values(status=status, reason=(reason or None) and reason[:MAX_REASON], finished_at=now)
            )

    def finish_many(
        self, outcomes: list[tuple[int, str, str | None]], now: datetime, *, run_id: str, kind: RowKind = "recipient"
    ) -> None:
        """``finish`` for several rows of one run in one transaction: (row id, final status, reason)."""
        if not outcomes:
            return
        if any(status not in FINAL_STATUSES for _, status, _ in outcomes):
            raise ValueError("not a final status")
        t = _ROW_TABLES[kind].__table__
        statement = (
            t.update()
            .where(t.c.id == bindparam("row_id"), t.c.status == "sending", t.c.run_id == run_id)
            .values(status=bindparam("new_status"), reason=bindparam("new_reason"), finished_at=now)
        )
        rows = [
            {"row_id": row_id, "new_status": status, "new_reason": (reason or None) and reason[:MAX_REASON]}
            for row_id, status, reason in outcomes
        ]
        with self._db.session() as session:
            session.connection().execute(statement, rows)

    # The life of a claimed row (campaign recipients and reminders alike) ----------

    def mark_attempted(self, row_id: int, run_id: str, now: datetime, *, kind: RowKind = "recipient") -> bool:
        """Right before the request is written: the platform may have the message from now on.

        False if the row is no longer this run's (its claim expired and another run took
        it back): then nothing must be sent.
        """
        table = _ROW_TABLES[kind]
        with self._db.session() as session:
            return session.execute(
                update(table)
                .where(table.id == row_id, table.status == "sending", table.run_id == run_id)
                .values(attempted_at=now, claimed_at=now)
            ).rowcount > 0

    def clear_attempted(self, row_id: int, run_id: str, *, kind: RowKind = "recipient") -> None:
        """The platform answered "not now" (429): nothing was delivered, the row is only claimed again."""
        table = _ROW_TABLES[kind]
        with self._db.session() as session:
            session.execute(
                update(table)
                .where(table.id == row_id, table.status == "sending", table.run_id == run_id)
                .values(attempted_at=None)
            )

    def release(self, row_id: int, run_id: str, *, kind: RowKind = "recipient") -> None:
        """The platform certainly did not get it: back to queued, for the next run (not this one)."""
        table = _ROW_TABLES[kind]
        with self._db.session() as session:
            session.execute(
                update(table)
                .where(table.id == row_id, table.status == "sending", table.run_id == run_id)
                .values(status="queued", claimed_at=None, attempted_at=None)
            )

    def refresh_claims(self, run_id: str, now: datetime, *, kind: RowKind = "recipient") -> None:
        """Heartbeat of a live run: its claims stay fresh, nobody recovers them."""
        table = _ROW_TABLES[kind]
        with self._db.session() as session:
            session.execute(
                update(table).where(table.run_id == run_id, table.status == "sending").values(claimed_at=now)
            )

    def release_run(
        self, run_id: str, now: datetime, *, campaign_id: int | None = None, kind: RowKind = "recipient"
    ) -> None:
        """A run that stops abruptly (cancelled): what it holds goes back to queued, or to
        "uncertain" if its request may have left."""
        table = _ROW_TABLES[kind]
        mine = [table.run_id == run_id, table.status == "sending"]
        if campaign_id is not None:
            assert kind == "recipient"
            mine.append(CampaignRecipient.campaign_id == campaign_id)
        with self._db.session() as session:
            session.execute(
                update(table).where(*mine, table.attempted_at.is_(None))
                .values(status="queued", claimed_at=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(table).where(*mine, table.attempted_at.is_not(None))
                .values(status="uncertain", reason=REASON_INTERRUPTED, finished_at=now)
                .execution_options(synchronize_session=False)
            )

    def recover_stale(
        self, older_than: datetime, now: datetime, *, campaign_id: int | None = None, kind: RowKind = "recipient"
    ) -> tuple[int, int]:
        """Rows a dead run left "sending" (claim not refreshed since ``older_than``).

        Never attempted -> queued, for anybody to send; attempted -> "uncertain".
        Returns (requeued, uncertain).
        """
        table = _ROW_TABLES[kind]
        stale = [table.status == "sending", or_(table.claimed_at.is_(None), table.claimed_at < older_than)]
        if campaign_id is not None:
            assert kind == "recipient"
            stale.append(CampaignRecipient.campaign_id == campaign_id)
        with self._db.session() as session:
            requeued = session.execute(
                update(table).where(*stale, table.attempted_at.is_(None))
                .values(status="queued", run_id=None, claimed_at=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            uncertain = session.execute(
                update(table).where(*stale, table.attempted_at.is_not(None))
                .values(status="uncertain", reason=REASON_INTERRUPTED, finished_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        return int(requeued or 0), int(uncertain or 0)

    def held_elsewhere(self, run_id: str, *, campaign_id: int | None = None, kind: RowKind = "recipient") -> int:
        """Rows another run holds ("sending"): a live run finishes them, a dead one's come back."""
        table = _ROW_TABLES[kind]
        query = (
            select(func.count()).select_from(table)
            .where(table.status == "sending", or_(table.run_id.is_(None), table.run_id != run_id))
        )
        if campaign_id is not None:
            assert kind == "recipient"
            query = query.where(CampaignRecipient.campaign_id == campaign_id)
        with self._db.session() as session:
            return int(session.scalar(query) or 0)

    def counts(self, campaign_id: int) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(CampaignRecipient.status, func.count())
                .where(CampaignRecipient.campaign_id == campaign_id)
                .group_by(CampaignRecipient.status)
            )
            found = {status: int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in ROW_STATUSES}

    def skip_reasons(self, campaign_id: int) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(CampaignRecipient.reason, func.count())
                .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "skipped")
                .group_by(CampaignRecipient.reason)
            )
            return {reason or "?": int(n) for reason, n in rows}

    # Reminders -------------------------------------------------------------------

    def add_reminder(self, person_id: int, event_id: str, due_at: datetime) -> ReminderRecord:
        """Idempotent: asking twice for the same event keeps one reminder."""
        with self._db.session() as session:
            if session.get(Person, person_id) is None:
                raise InvalidValue(f"unknown person {person_id}")
            existing = session.scalars(
                select(Reminder).where(Reminder.person_id == person_id, Reminder.event_id == event_id)
            ).one_or_none()
            if existing is not None:
                return _reminder_record(existing)
        try:
            with self._db.session() as session:
                reminder = Reminder(person_id=person_id, event_id=event_id, due_at=due_at, status="queued")
                session.add(reminder)
                session.flush()
                return _reminder_record(reminder)
        except Exception:
            # A concurrent request for the same reminder won the unique constraint.
            with self._db.session() as session:
                existing = session.scalars(
                    select(Reminder).where(Reminder.person_id == person_id, Reminder.event_id == event_id)
                ).one_or_none()
                if existing is None:
                    raise
                return _reminder_record(existing)

    def reminders_for(self, person_id: int) -> list[ReminderRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(Reminder).where(Reminder.person_id == person_id).order_by(Reminder.id))
            return [_reminder_record(r) for r in rows]

    def claim_due_reminder(
        self, run_id: str, now: datetime, *, exclude_channels: tuple[str, ...] = ()
    ) -> tuple[ReminderRecord, ClaimedRow] | None:
        """Like claim_next, for the oldest due reminder."""
        while True:
            with self._db.session() as session:
                pick = (
                    select(Reminder.id.label("reminder_id"), *_CANDIDATE_COLUMNS)
                    .outerjoin(Person, Person.id == Reminder.person_id)
                    .outerjoin(Subscription, Subscription.person_id == Reminder.person_id)
                    .where(
                        Reminder.status == "queued", Reminder.due_at <= now,
                        *_claimable(Reminder, run_id, exclude_channels),
                    )
                    .order_by(Reminder.due_at, Reminder.id)
                    .limit(1)
                )
                if self._postgres:
                    pick = pick.with_for_update(skip_locked=True, of=Reminder)
                found = session.execute(pick).first()
                if found is None:
                    return None
                reason = _ineligible_reason(found, None)
                values = (
                    {"status": "skipped", "reason": reason, "run_id": run_id, "finished_at": now}
                    if reason
                    else {"status": "sending", "run_id": run_id, "claimed_at": now, "attempted_at": None}
                )
                taken = session.execute(
                    update(Reminder).where(Reminder.id == found.reminder_id, Reminder.status == "queued").values(**values)
                ).rowcount
                if taken and not reason:
                    reminder = session.get(Reminder, found.reminder_id)
                    return _reminder_record(reminder), _claimed_from(found.reminder_id, found, self._db.identity)  # type: ignore[arg-type]

    def finish_reminder(
        self, reminder_id: int, status: str, now: datetime, reason: str | None = None, *, run_id: str | None = None
    ) -> None:
        self.finish(reminder_id, status, now, reason, run_id=run_id, kind="reminder")


def _claimable(table, run_id: str, exclude_channels: tuple[str, ...]) -> list:
    """Queued rows a run may take: not put back by this same run, not on a channel found down."""
    conditions = [or_(table.run_id.is_(None), table.run_id != run_id)]
    if exclude_channels:
        conditions.append(or_(Person.channel.is_(None), Person.channel.not_in(exclude_channels)))
    return conditions


def _held_by(table, run_id: str | None) -> list:
    return [] if run_id is None else [table.run_id == run_id]
