"""What the actions need, passed in by the composition root (``bot.app``).

Embedded mode and action-server mode (`terrapro actions-server`) alike: the root
builds one ``ActionServices`` and registers action instances built with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from actions.profile_words import ProfileReader
from bot.broadcast.reminders import Reminders
from bot.catalogue.model import Catalogue, Event
from bot.catalogue.search import CatalogueSearch
from bot.core.texts import Texts
from bot.handoff.permanences import Permanences
from bot.storage.repositories import (
    ConversationStateStore,
    HandoffRepository,
    PersonRepository,
    SubscriptionRepository,
    UnansweredRepository,
)


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
    profile: ProfileReader  # reads « j'ai 15 ans », « je suis en fauteuil » (content/profile.yml)
    permanences: Permanences  # when referents answer, per bassin (content/permanences.csv)
