"""Referents (the humans who take hand-offs) and what the queue sent them.

A referent is a first name, a Telegram id, an optional bassin and a role:
nothing else about them is stored. ``handoff_notices`` remembers which
Telegram message announced which ticket to whom, so the others' copies can be
edited once someone takes it; ``handoff_announcements`` records when a ticket
was last announced, so announcing survives restarts and never happens twice
when several workers run.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, as_utc, utcnow
from bot.storage.database import Database
from bot.storage.records import InvalidValue

ROLES = ("referent", "admin")
MAX_NAME = 40
MAX_TELEGRAM_ID = 32


class Referent(Base):
    __tablename__ = "referents"
    __table_args__ = (CheckConstraint("role IN ('referent', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    telegram_id: Mapped[str] = mapped_column(String(MAX_TELEGRAM_ID), unique=True)
    bassin: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="referent")
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HandoffNotice(Base):
    __tablename__ = "handoff_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_tickets.id", ondelete="CASCADE"), index=True
    )
    referent_id: Mapped[int] = mapped_column(ForeignKey("referents.id", ondelete="CASCADE"))
    message_ref: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HandoffAnnouncement(Base):
    __tablename__ = "handoff_announcements"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    # The young person was told nobody could be reached (said once per ticket).
    person_told: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class ReferentRecord:
    id: int
    name: str
    telegram_id: str
    bassin: str | None
    role: str
    present: bool


@dataclass(frozen=True)
class NoticeRecord:
    ticket_id: int
    referent_id: int
    message_ref: str


@dataclass(frozen=True)
class AnnouncementRecord:
    ticket_id: int
    first_at: datetime
    last_at: datetime
    rounds: int
    person_told: bool


def _referent(row: Referent) -> ReferentRecord:
    return ReferentRecord(row.id, row.name, row.telegram_id, row.bassin, row.role, bool(row.present))


def clean_name(name: str) -> str:
    """First word only: a first name is all the young person needs to see."""
    words = "".join(ch for ch in str(name) if ch.isprintable()).split()
    if not words:
        raise InvalidValue("le prénom est vide")
    return words[0][:MAX_NAME]


def clean_telegram_id(value: str | int) -> str:
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or len(text) > MAX_TELEGRAM_ID:
        raise InvalidValue("l'identifiant Telegram doit être un nombre")
    return text


class ReferentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self, name: str, telegram_id: str | int, bassin: str | None = None, role: str = "referent"
    ) -> ReferentRecord:
        if role not in ROLES:
            raise InvalidValue(f"rôle inconnu : {role!r} (referent ou admin)")
        row = Referent(
            name=clean_name(name),
            telegram_id=clean_telegram_id(telegram_id),
            bassin=(bassin or "").strip()[:64] or None,
            role=role,
            present=True,
            created_at=utcnow(),
        )
        try:
            with self._db.session(savepoint=True) as session:
                session.add(row)
                session.flush()
                return _referent(row)
        except IntegrityError as exc:
            raise InvalidValue("cet identifiant Telegram est déjà enregistré") from exc

    def get(self, referent_id: int) -> ReferentRecord | None:
        with self._db.session() as session:
            row = session.get(Referent, referent_id)
            return _referent(row) if row else None

    def by_telegram_id(self, telegram_id: str | int) -> ReferentRecord | None:
        with self._db.session() as session:
            row = session.scalars(
                select(Referent).where(Referent.telegram_id == str(telegram_id).strip())
            ).first()
            return _referent(row) if row else None

    def all(self) -> list[ReferentRecord]:
        with self._db.session() as session:
            return [_referent(r) for r in session.scalars(select(Referent).order_by(Referent.id))]

    def remove(self, referent_id: int) -> bool:
        with self._db.session() as session:
            return session.execute(delete(Referent).where(Referent.id == referent_id)).rowcount > 0

    def set_present(self, referent_id: int, present: bool) -> None:
        with self._db.session() as session:
            session.execute(update(Referent).where(Referent.id == referent_id).values(present=present))


class NoticeRepository:
    """Announcement bookkeeping for the hand-off queue."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, ticket_id: int, referent_id: int, message_ref: str) -> None:
        try:
            with self._db.session(savepoint=True) as session:
                session.add(HandoffNotice(
                    ticket_id=ticket_id, referent_id=referent_id,
                    message_ref=str(message_ref)[:64], sent_at=utcnow(),
                ))
        except IntegrityError:
            # The ticket or referent vanished meanwhile (erasure, removal): nothing to edit later.
            pass

    def notices(self, ticket_id: int) -> list[NoticeRecord]:
        with self._db.session() as session:
            rows = session.scalars(
                select(HandoffNotice).where(HandoffNotice.ticket_id == ticket_id).order_by(HandoffNotice.id)
            )
            return [NoticeRecord(r.ticket_id, r.referent_id, r.message_ref) for r in rows]

    def forget_notices(self, ticket_id: int) -> None:
        with self._db.session() as session:
            session.execute(delete(HandoffNotice).where(HandoffNotice.ticket_id == ticket_id))

    def start_announcement(self, ticket_id: int, at: datetime) -> bool:
        """True for exactly one caller per ticket (the insert decides)."""
        try:
            with self._db.session(savepoint=True) as session:
                session.add(HandoffAnnouncement(ticket_id=ticket_id, first_at=at, last_at=at, rounds=1))
            return True
        except IntegrityError:
            return False

    def restart_announcement(self, ticket_id: int, announced_before: datetime, at: datetime) -> bool:
        """A re-announcement is due: True for exactly one caller (conditional update)."""
        with self._db.session() as session:
            result = session.execute(
                update(HandoffAnnouncement)
                .where(
                    HandoffAnnouncement.ticket_id == ticket_id,
                    HandoffAnnouncement.last_at <= announced_before,
                )
                .values(last_at=at, rounds=HandoffAnnouncement.rounds + 1)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount > 0

    def mark_person_told(self, ticket_id: int) -> bool:
        """True the first time only."""
        with self._db.session() as session:
            result = session.execute(
                update(HandoffAnnouncement)
                .where(HandoffAnnouncement.ticket_id == ticket_id, HandoffAnnouncement.person_told.is_(False))
                .values(person_told=True)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount > 0

    def announcements(self, ticket_ids: Iterable[int]) -> dict[int, AnnouncementRecord]:
        ids = list(ticket_ids)
        if not ids:
            return {}
        with self._db.session() as session:
            rows = session.scalars(select(HandoffAnnouncement).where(HandoffAnnouncement.ticket_id.in_(ids)))
            return {
                r.ticket_id: AnnouncementRecord(
                    r.ticket_id, as_utc(r.first_at), as_utc(r.last_at), r.rounds, bool(r.person_told)
                )
                for r in rows
            }

    def forget_announcement(self, ticket_id: int) -> None:
        """The ticket is back in the queue: it will be announced afresh."""
        with self._db.session() as session:
            session.execute(delete(HandoffAnnouncement).where(HandoffAnnouncement.ticket_id == ticket_id))
