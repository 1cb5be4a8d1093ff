"""Tables. Deliberately little personal data: a platform id (only as a keyed
hash and encrypted, see bot.storage.identity), a first name, language and area.
Never a phone number in clear, never message text (except scrubbed unanswered
questions and hand-off transcripts, purged after the retention period).

Repositories turn these rows into records; nothing outside bot.storage
imports this module except the composition root (to create the schema).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utcnow

# "rasa": people reaching the actions through a Rasa server with its own sender ids.
CHANNELS = ("cli", "telegram", "whatsapp", "rasa")
LANGUAGES = ("fr", "wo")
PERSON_STATUSES = ("active", "unreachable")
TICKET_STATUSES = ("waiting", "assigned", "closed", "cancelled")
OPEN_TICKET_STATUSES = ("waiting", "assigned")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Person(Base):
    __tablename__ = "persons"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("status", PERSON_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Keyed hash (HMAC-SHA256, hex) of the platform id: the look-up key, never the id itself.
    external_id: Mapped[str] = mapped_column(String(128))
    # The platform id encrypted (AES-GCM): channels need it to answer.
    external_id_encrypted: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    territoire: Mapped[str | None] = mapped_column(String(32))
    bassin: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # WhatsApp only allows free-form replies within 24 h of the last inbound.
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ConversationState(Base):
    __tablename__ = "conversation_states"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_area", "territoire", "bassin"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    territoire: Mapped[str] = mapped_column(String(32))
    bassin: Mapped[str | None] = mapped_column(String(64))
    filiere: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


_OPEN_TICKET = text(_in("status", OPEN_TICKET_STATUSES))


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"
    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        # At most one open ticket per person, even with concurrent requests.
        Index(
            "uq_handoff_tickets_one_open",
            "person_id",
            unique=True,
            postgresql_where=_OPEN_TICKET,
            sqlite_where=_OPEN_TICKET,
        ),
        Index("ix_handoff_tickets_queue", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    bassin: Mapped[str | None] = mapped_column(String(64))
    # Last intent, filière, lieu: what the referent needs to pick the chat up.
    topic: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Removing a referent keeps the ticket's history (migration 0002_referent_fk).
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("referents.id", ondelete="SET NULL"))
    closing_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    # A distress message: first in the queue, announced to every present referent.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    urgent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The message(s) that raised the alarm, scrubbed of numbers and links; shown only to the
    # referent who takes the ticket, deleted with the ticket (and so with the person).
    trigger_text: Mapped[str | None] = mapped_column(Text)


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_questions_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    # Always scrubbed of phone numbers, e-mails, links and long numbers.
    text: Mapped[str] = mapped_column(String(500))
    intent: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# The hand-off queue's referent tables hang off this metadata too; imported here so
# every create_schema() creates them (the module imports only bot.storage.base).
from bot.storage import console_tables as _console_tables  # noqa: E402,F401
from bot.storage import referents as _referents  # noqa: E402,F401
