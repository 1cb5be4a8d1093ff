"""Reads (and the few writes) of the console that span persons, tickets and questions.

Everything is filtered by territory here, so a page cannot forget to: ``territoire``
None means every territory (admins and "all" accounts).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.base import as_utc, utcnow
from bot.storage.console_tables import TreatedQuestion
from bot.storage.database import Database
from bot.storage.handoff import to_record as ticket_record
from bot.storage.models import OPEN_TICKET_STATUSES, HandoffTicket, Person, UnansweredQuestion
from bot.storage.records import TicketRecord


@dataclass(frozen=True)
class QuestionRow:
    id: int
    text: str
    intent: str
    created_at: datetime
    treated: bool


@dataclass(frozen=True)
class QueueRow:
    ticket: TicketRecord
    first_name: str | None  # display name as given by the platform; shown only if it has no digit
    territoire: str | None
    urgent: bool


def _urgent_column():
    # Another change adds handoff_tickets.urgent; work with and without it.
    return getattr(HandoffTicket, "urgent", None)


class ConsoleViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Unanswered questions -------------------------------------------------------
    def questions(self, territoire: str | None, limit: int = 2000) -> list[QuestionRow]:
        query = (
            select(UnansweredQuestion, TreatedQuestion.question_id)
            .join(Person, Person.id == UnansweredQuestion.person_id)
            .outerjoin(TreatedQuestion, TreatedQuestion.question_id == UnansweredQuestion.id)
            .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
            .limit(limit)
        )
        if territoire:
            query = query.where(Person.territoire == territoire)
        with self._db.session() as session:
            return [
                QuestionRow(q.id, q.text, q.intent, as_utc(q.created_at), treated is not None)
                for q, treated in session.execute(query)
            ]

    def mark_treated(self, question_ids: list[int], territoire: str | None, user_email: str) -> int:
        """Marks the questions of the caller's territory; ids outside it are ignored."""
        allowed = {row.id for row in self.questions(territoire) if row.id in set(question_ids)}
        done = 0
        for question_id in allowed:
            try:
                with self._db.session() as session:
                    session.add(TreatedQuestion(question_id=question_id, user_email=user_email, at=utcnow()))
                done += 1
            except IntegrityError:
                continue  # already marked
        return done

    # Hand-off queue ------------------------------------------------------------
    def _tickets(self, query, territoire: str | None) -> list[QueueRow]:
        urgent = _urgent_column()
        if territoire:
            query = query.where(Person.territoire == territoire)
        with self._db.session() as session:
            return [
                QueueRow(ticket_record(t), name, terr, bool(getattr(t, "urgent", False)) if urgent is not None else False)
                for t, name, terr in session.execute(query)
            ]

    def open_tickets(self, territoire: str | None, referent_id: int | None = None) -> list[QueueRow]:
        """Waiting and assigned tickets, urgent first, then oldest; with ``referent_id``,
        the waiting ones plus those that referent handles."""
        query = (
            select(HandoffTicket, Person.display_name, Person.territoire)
            .join(Person, Person.id == HandoffTicket.person_id)
            .where(HandoffTicket.status.in_(OPEN_TICKET_STATUSES))
        )
        if referent_id is not None:
            query = query.where(
                (HandoffTicket.status == "waiting") | (HandoffTicket.referent_id == referent_id)
            )
        urgent = _urgent_column()
        order = [HandoffTicket.created_at, HandoffTicket.id]
        if urgent is not None:
            order.insert(0, urgent.desc())
        return self._tickets(query.order_by(*order), territoire)

    def ticket(self, ticket_id: int, territoire: str | None) -> QueueRow | None:
        """One ticket, only if it belongs to the territory (else None: the page answers 404)."""
        query = (
            select(HandoffTicket, Person.display_name, Person.territoire)
            .join(Person, Person.id == HandoffTicket.person_id)
            .where(HandoffTicket.id == ticket_id)
        )
        rows = self._tickets(query, territoire)
        return rows[0] if rows else None

    def tickets_between(self, start: datetime, end: datetime, territoire: str | None) -> list[TicketRecord]:
        query = (
            select(HandoffTicket, Person.display_name, Person.territoire)
            .join(Person, Person.id == HandoffTicket.person_id)
            .where(HandoffTicket.created_at >= start, HandoffTicket.created_at < end)
        )
        return [row.ticket for row in self._tickets(query, territoire)]

    def urgent_count(self, start: datetime, end: datetime, territoire: str | None) -> int | None:
        """None when the tickets have no urgent column (yet)."""
        if _urgent_column() is None:
            return None
        return sum(1 for row in self._tickets(
            select(HandoffTicket, Person.display_name, Person.territoire)
            .join(Person, Person.id == HandoffTicket.person_id)
            .where(HandoffTicket.created_at >= start, HandoffTicket.created_at < end), territoire,
        ) if row.urgent)

    def reassign(self, ticket_id: int, referent_id: int) -> bool:
        """An admin gives an open ticket to another referent (a waiting one becomes assigned)."""
        with self._db.session() as session:
            moved = session.execute(
                update(HandoffTicket)
                .where(HandoffTicket.id == ticket_id, HandoffTicket.status == "assigned")
                .values(referent_id=referent_id)
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved:
                return True
            return session.execute(
                update(HandoffTicket)
                .where(HandoffTicket.id == ticket_id, HandoffTicket.status == "waiting")
                .values(status="assigned", referent_id=referent_id, assigned_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount > 0
