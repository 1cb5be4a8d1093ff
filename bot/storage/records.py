"""Plain immutable records the repositories return: dialogue code never sees
an ORM object or a session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.errors import BadInput


class InvalidValue(BadInput, ValueError):
    """A value the storage layer refuses (unknown channel, over-long id...)."""


@dataclass(frozen=True)
class PersonRecord:
    id: int
    channel: str
    external_id: str
    display_name: str | None
    language: str
    territoire: str | None
    bassin: str | None
    status: str
    created_at: datetime
    last_inbound_at: datetime | None
    last_seen_at: datetime | None


@dataclass(frozen=True)
class SubscriptionRecord:
    person_id: int
    territoire: str
    bassin: str | None
    filiere: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TicketRecord:
    id: int
    person_id: int
    channel: str
    bassin: str | None
    topic: dict[str, Any]
    summary: str
    status: str
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    referent_id: int | None
    closing_note: str | None
    rating: int | None
    urgent: bool = False
    urgent_at: datetime | None = None
    trigger_text: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("waiting", "assigned")


@dataclass(frozen=True)
class UnansweredRecord:
    id: int
    person_id: int
    text: str
    intent: str
    confidence: float
    language: str
    created_at: datetime
