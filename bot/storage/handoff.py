"""Hand-off tickets: a young person waiting for a human referent."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.base import as_utc, utcnow
from bot.storage.database import Database
from bot.storage.models import OPEN_TICKET_STATUSES, HandoffTicket
from bot.storage.records import InvalidValue, TicketRecord
from bot.storage.unit_of_work import memo

MAX_SUMMARY = 2000
MAX_TRIGGER = 1500  # the latest distress messages, newest kept when longer


def to_record(ticket: HandoffTicket | Row[Any]) -> TicketRecord:
    """From the mapped object or a Core row of the table (same attribute names)."""
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
        urgent=bool(ticket.urgent),
        urgent_at=as_utc(ticket.urgent_at),
        trigger_text=ticket.trigger_text,
    )


_TICKETS = HandoffTicket.__table__
_OPEN_TICKET = select(_TICKETS).where(
    _TICKETS.c.person_id == bindparam("person_id"), _TICKETS.c.status.in_(OPEN_TICKET_STATUSES),
).limit(1)


def remember_no_open_ticket(db: Database, person_id: int) -> None:
    """A query that read the person also found they have no open ticket: the next
    ``open_ticket_for`` in this unit of work (the hand-off gate, at the start of a turn)
    answers from here, once. Later asks read the table again, so a ticket opened by the
    turn itself is always seen."""
    remembered = memo(db)
    if remembered is not None:
        remembered[_no_open_ticket_key(person_id)] = True


def _no_open_ticket_key(person_id: int) -> tuple[str, int]:
    return ("no open ticket", person_id)


def _queue_order() -> tuple[Any, ...]:
    """Urgent tickets first, then oldest first."""
    return (HandoffTicket.urgent.desc(), HandoffTicket.created_at, HandoffTicket.id)


class HandoffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def request(
        self, person_id: int, channel: str, bassin: str | None, topic: dict[str, Any], summary: str,
        *, trigger: str | None = None,
    ) -> TicketRecord:
        """Open a ticket, or return the person's open one (never two at once).

        ``trigger``: the scrubbed distress message; it makes the new ticket urgent.
        """
        for _ in range(3):
            existing = self.open_ticket_for(person_id)
            if existing is not None:
                return existing
            now = utcnow()
            try:
                with self._db.session(savepoint=True) as session:
                    ticket = HandoffTicket(
                        person_id=person_id,
                        channel=channel,
                        bassin=bassin,
                        topic=dict(topic),
                        summary=summary[:MAX_SUMMARY],
                        status="waiting",
                        created_at=now,
                        urgent=trigger is not None,
                        urgent_at=now if trigger is not None else None,
                        trigger_text=trigger[-MAX_TRIGGER:] if trigger is not None else None,
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
        """Asked on every message (is a referent handling this chat?): a Core read of a
        statement built once, half the CPU of an ORM query; none at all when the person's
        own read has just found no open ticket (``remember_no_open_ticket``)."""
        remembered = memo(self._db)
        if remembered is not None and remembered.pop(_no_open_ticket_key(person_id), False):
            return None
        with self._db.connection() as connection:
            row = connection.execute(_OPEN_TICKET, {"person_id": person_id}).first()
        return to_record(row) if row is not None else None

    MAX_MEDIA = 5  # voice notes / photos waiting for a referent, per ticket

    def add_media(self, ticket_id: int, media: dict[str, Any]) -> bool:
        """Keep a media reference (platform id, never the file) until a referent takes the ticket."""
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None or ticket.status not in OPEN_TICKET_STATUSES:
                return False
            topic = dict(ticket.topic or {})
            topic["media"] = (list(topic.get("media") or []) + [dict(media)])[-self.MAX_MEDIA:]
            ticket.topic = topic
            return True

    def take_media(self, ticket_id: int) -> list[dict[str, Any]]:
        """The kept media references, removed from the ticket (relayed once)."""
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None:
                return []
            topic = dict(ticket.topic or {})
            media = list(topic.pop("media", None) or [])
            ticket.topic = topic
            return media

    def count_for(self, person_id: int) -> int:
        """Every ticket kept about the person, open or closed (closed ones until the retention purge)."""
        with self._db.session() as session:
            return int(session.scalar(
                select(func.count()).select_from(HandoffTicket).where(HandoffTicket.person_id == person_id)
            ) or 0)
    def mark_urgent(self, ticket_id: int, trigger: str, family: str) -> TicketRecord | None:
        """A distress message on an open ticket: urgent from now on, the message kept with the others."""
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None or ticket.status not in OPEN_TICKET_STATUSES:
                return None
            ticket.urgent = True
            ticket.topic = {**(ticket.topic or {}), "distress": (ticket.topic or {}).get("distress") or family}
            ticket.urgent_at = ticket.urgent_at or utcnow()
            joined = f"{ticket.trigger_text}\n{trigger}" if ticket.trigger_text else trigger
            ticket.trigger_text = joined[-MAX_TRIGGER:]
            session.flush()
            return to_record(ticket)

    def position_in_queue(self, ticket_id: int) -> int:
        """1-based rank among waiting tickets (urgent first, then oldest first); 0 if not waiting."""
        with self._db.session() as session:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None or ticket.status != "waiting":
                return 0
            same_urgency_ahead = and_(
                HandoffTicket.urgent == bool(ticket.urgent),
                or_(
                    HandoffTicket.created_at < ticket.created_at,
                    and_(
                        HandoffTicket.created_at == ticket.created_at,
                        HandoffTicket.id <= ticket.id,
                    ),
                ),
            )
            ahead = or_(HandoffTicket.urgent.is_(True), same_urgency_ahead) if not ticket.urgent else same_urgency_ahead
            ahead_or_self = select(func.count()).where(HandoffTicket.status == "waiting", ahead)
            return int(session.scalar(ahead_or_self) or 0)

    def waiting(self) -> list[TicketRecord]:
        with self._db.session() as session:
            tickets = session.scalars(
                select(HandoffTicket)
                .where(HandoffTicket.status == "waiting")
                .order_by(*_queue_order())
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
