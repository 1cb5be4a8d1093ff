"""What the actions need, passed in by a composition root.

Embedded mode: ``bot.app`` builds one ``ActionServices`` and registers action
instances with it. Action-server mode (``python -m rasa_sdk --actions actions``):
rasa-sdk instantiates the classes without arguments, so they build the services
once from the environment through ``server_services`` — the action server's own
composition root.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Callable, Protocol

from bot.broadcast.reminders import Reminders
from bot.catalogue.model import Catalogue, Event
from bot.catalogue.search import CatalogueSearch
from bot.core.texts import Texts
from bot.storage.records import PersonRecord
from bot.storage.repositories import (
    ConversationStateStore,
    HandoffRepository,
    PersonRepository,
    SubscriptionRepository,
    UnansweredRepository,
)


class PersonEraser(Protocol):
    """Deletes everything about a person, telling whoever must know first (a referent)."""

    async def erase(self, person: PersonRecord) -> bool: ...


@dataclass
class ActionServices:
    texts: Texts
    catalogue: Catalogue
    search: CatalogueSearch
    events: list[Event]
    persons: PersonRepository
    subscriptions: SubscriptionRepository
    handoffs: HandoffRepository
    states: ConversationStateStore
    unanswered: UnansweredRepository
    reminders: Reminders  # books "Me le rappeler" reminders; the broadcast worker sends them
    today: Callable[[], date]
    # How long closed requests and unanswered questions are kept (TERRAPRO_RETENTION_DAYS).
    retention_days: int = 365
    # Set by the composition root once the hand-off exists; without it, a plain delete.
    eraser: PersonEraser | None = None


@cache
def server_services() -> ActionServices:
    from bot.app import build_action_services
    from bot.settings import Settings

    return build_action_services(Settings())
