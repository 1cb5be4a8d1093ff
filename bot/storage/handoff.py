"""Hand-off tickets: a young person waiting for a human referent."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.base import as_utc, utcnow
from bot.storage.database import Database
from bot.storage.models import OPEN_TICKET_STATUSES, HandoffTicket
from bot.storage.records import InvalidValue, TicketRecord

MAX_SUMMARY = 2000


def to_record(ticket: HandoffTicket) -> TicketRecord:
    return TicketRecord(
        id=ticket.id,
        person_id=ticket.person_id,
        channel=ticket.channel,
        bassin=ticket.bassin,
        topic=dict(ticket.topic or {}),
        summary=ticket.summary,
        status=ticket.status,
        created_at=as_utc(ticket.created_at),  # type: ignore[arg-type]
        assigned_at=as_utc(ticket.assigned_at),
        closed_at=as_utc(ticket.closed_at),
        referent_id=ticket.referent_id,
        closing_note=ticket.closing_note,
        rating=ticket.rating,
    )


class HandoffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def request(
        self, person_id: int, channel: str, bassin: str | None, topic: dict[str, Any], summary: str
    ) -> TicketRecord:
        """Open a ticket, or return the person's open one (never two at once)."""
        for _ in range(3):
            existing = self.open_ticket_for(person_id)
            if existing is not None:
                return existing
            try:
                with self._db.session(savepoint=True) as session:
                    ticket = HandoffTicket(
                        person_id=person_id,
                        channel=channel,
                        bassin=bassin,
                        topic=dict(topic),
                        summary=summary[:MAX_SUMMARY],
                        status="waiting",
                        created_at=utcnow(),
                    )
                    session.add(ticket)
                    session.flush()
                    return to_record(ticket)
            except IntegrityError:
                # Lost a race with a concurrent request (one-open-ticket index),
                # or the person is gone: the next lookup tells which.
                continue
        raise InvalidValue(f"cannot open a ticket for person {person_id}")

    def get(self, ticket_id: int) -> TicketRecord | None:
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            return to_record(ticket) if ticket else None

    def open_ticket_for(self, person_id: int) -> TicketRecord | None:
        with self._db.session() as session:
            ticket = session.scalars(
                select(HandoffTicket).where(
                    HandoffTicket.person_id == person_id,
                    HandoffTicket.status.in_(OPEN_TICKET_STATUSES),
                )
            ).first()
            return to_record(ticket) if ticket else None

    def position_in_queue(self, ticket_id: int) -> int:
        """1-based rank among waiting tickets (oldest first); 0 if not waiting."""
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None or ticket.status != "waiting":
                return 0
            ahead_or_self = select(func.count()).where(
                HandoffTicket.status == "waiting",
                or_(
                    HandoffTicket.created_at < ticket.created_at,
                    and_(
                        HandoffTicket.created_at == ticket.created_at,
                        HandoffTicket.id <= ticket.id,
                    ),
                ),
            )
            return int(session.scalar(ahead_or_self) or 0)

    def waiting(self) -> list[TicketRecord]:
        with self._db.session() as session:
            tickets = session.scalars(
                select(HandoffTicket)
                .where(HandoffTicket.status == "waiting")
                .order_by(HandoffTicket.created_at, HandoffTicket.id)
            )
            return [to_record(t) for t in tickets]

    def cancel(self, ticket_id: int) -> bool:
        """The young person gave up waiting. False if the ticket was not open."""
        return self._transition(
            ticket_id, OPEN_TICKET_STATUSES, status="cancelled", closed_at=utcnow()
        ) is not None

    def assign(self, ticket_id: int, referent_id: int) -> TicketRecord | None:
        """A referent takes a waiting ticket. None if someone else was quicker."""
        return self._transition(
            ticket_id, ("waiting",), status="assigned", referent_id=referent_id, assigned_at=utcnow()
        )

    def close(
        self, ticket_id: int, closing_note: str | None = None, rating: int | None = None
    ) -> TicketRecord | None:
        if rating is not None and not 1 <= rating <= 5:
            raise InvalidValue("rating must be between 1 and 5")
        return self._transition(
            ticket_id,
            OPEN_TICKET_STATUSES,
            status="closed",
            closed_at=utcnow(),
            closing_note=closing_note[:MAX_SUMMARY] if closing_note else None,
            rating=rating,
        )

    def assigned_to(self, referent_id: int) -> list[TicketRecord]:
        """The conversations a referent is handling now."""
        with self._db.session() as session:
            tickets = session.scalars(
                select(HandoffTicket)
                .where(HandoffTicket.status == "assigned", HandoffTicket.referent_id == referent_id)
                .order_by(HandoffTicket.assigned_at, HandoffTicket.id)
            )
            return [to_record(t) for t in tickets]

    def release(self, ticket_id: int, referent_id: int) -> TicketRecord | None:
        """The referent hands the ticket back to the queue. None if it was not theirs."""
        with self._db.session() as session:
            result = session.execute(
                update(HandoffTicket)
                .where(
                    HandoffTicket.id == ticket_id,
                    HandoffTicket.status == "assigned",
                    HandoffTicket.referent_id == referent_id,
                )
                .values(status="waiting", referent_id=None, assigned_at=None)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:
                return None
            ticket = session.get(HandoffTicket, ticket_id, populate_existing=True)
            return to_record(ticket) if ticket else None

    def rate(self, ticket_id: int, person_id: int, rating: int) -> bool:
        """The young person rates a closed ticket of theirs, once."""
        if not 1 <= rating <= 5:
            raise InvalidValue("rating must be between 1 and 5")
        with self._db.session() as session:
            result = session.execute(
                update(HandoffTicket)
                .where(
                    HandoffTicket.id == ticket_id,
                    HandoffTicket.person_id == person_id,
                    HandoffTicket.status == "closed",
                    HandoffTicket.rating.is_(None),
                )
                .values(rating=rating)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount > 0

    def all_tickets(self) -> list[TicketRecord]:
        """Every ticket, oldest first (figures for coordinators)."""
        with self._db.session() as session:
            tickets = session.scalars(select(HandoffTicket).order_by(HandoffTicket.created_at, HandoffTicket.id))
            return [to_record(t) for t in tickets]

    def _transition(
        self, ticket_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> TicketRecord | None:
        # One conditional UPDATE: two referents (or a referent and the young
        # person) acting at once cannot both win.
        with self._db.session() as session:
            result = session.execute(
                update(HandoffTicket)
                .where(HandoffTicket.id == ticket_id, HandoffTicket.status.in_(from_statuses))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:
                return None
            ticket = session.get(HandoffTicket, ticket_id, populate_existing=True)
            return to_record(ticket) if ticket else None
