"""Small interfaces the channels and the core depend on (implemented elsewhere)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core import slots as slot_names
from bot.core.messages import IncomingMessage, Reply


class MessageHandler(Protocol):
    """The core as a channel sees it: one message in, the replies out."""

    async def handle(
        self, message: IncomingMessage, *, settle: Callable[[list[Reply]], None] | None = None
    ) -> list[Reply]:
        """``settle(replies)``: called inside the turn's transaction (bot.core.conversation)."""
        ...


class PersonDirectory(Protocol):
    """What a channel may record about a person (no message text, ever)."""

    def mark_unreachable(self, channel: str, external_id: str) -> None: ...

    def touch_inbound(self, channel: str, external_id: str, at: datetime, *, create: bool = True) -> None: ...

    def last_inbound(self, channel: str, external_id: str) -> datetime | None: ...


@dataclass(frozen=True)
class TurnFacts:
    """One conversation turn as the coordinators count it: never any message text."""

    person_id: int
    channel: str
    territoire: str | None
    bassin: str | None
    intent: str
    filiere: str | None
    answered: bool


class TurnRecorder(Protocol):
    """Where the core reports each turn for the console's figures (must never raise)."""

    def record_turn(self, facts: TurnFacts) -> None: ...


def turn_facts(person, slots: dict, intent: str, action: str) -> TurnFacts:
    """The facts of a finished turn; the fallback action means the bot could not answer."""
    return TurnFacts(
        person_id=person.id, channel=person.channel,
        territoire=slots.get(slot_names.TERRITOIRE) or person.territoire,
        bassin=slots.get(slot_names.BASSIN) or person.bassin,
        intent=intent, filiere=slots.get(slot_names.FILIERE), answered=action != "action_default_fallback",
    )


class DurableInbox(Protocol):
    """Where a channel writes what it received before acknowledging it (bot.storage.queue)."""

    def accept(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> bool: ...

    def backlog(self) -> int: ...
