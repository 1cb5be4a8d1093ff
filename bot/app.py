"""The composition root: the one place that builds every part from ``Settings``."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.broadcast.reminders import Reminders
from bot.catalogue.loader import load_catalogue, load_events
from bot.catalogue.model import Catalogue
from bot.catalogue.search import CatalogueSearch
from bot.core.action_runner import ActionRunner
from bot.core.conversation import ConversationService
from bot.core.texts import Texts
from bot.nlu.vocabulary import load_synonyms
from bot.settings import Settings
from bot.storage.campaigns import CampaignRepository
from bot.storage.database import Database
from bot.storage.turn_facts import TurnFactRepository
from bot.storage.locks import InProcessUserLocks, RedisUserLocks, UserLocks
from bot.storage.repositories import (
    ConversationStateStore,
    HandoffRepository,
    PersonRepository,
    ProcessedMessageRepository,
    RedisConversationStateStore,
    SqlConversationStateStore,
    SubscriptionRepository,
    UnansweredRepository,
)

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    catalogue: Catalogue
    search: CatalogueSearch
    texts: Texts
    nlu: Any
    persons: PersonRepository
    states: ConversationStateStore
    subscriptions: SubscriptionRepository
    handoffs: HandoffRepository
    unanswered: UnansweredRepository
    dedupe: ProcessedMessageRepository
    actions: Any  # actions.services.ActionServices
    runner: ActionRunner
    conversation: ConversationService
    handoff: Any  # bot.handoff.compose.Handoff: referents, queue, relay

    def close(self) -> None:
        self.db.dispose()


def build_catalogue_search(settings: Settings) -> tuple[Catalogue, CatalogueSearch]:
    catalogue = load_catalogue(settings.content_dir)
    return catalogue, CatalogueSearch(catalogue, load_synonyms(settings.nlu_data_dir))


def build_nlu(settings: Settings, catalogue: Catalogue | None = None):
    from bot.nlu.engine import NluEngine

    if catalogue is None:
        catalogue = load_catalogue(settings.content_dir)
    return NluEngine.load_or_train(
        settings.nlu_data_dir, settings.effective_nlu_cache_dir, extra_values=nlu_extra_values(catalogue)
    )


def nlu_extra_values(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """The current catalogue's centres and places, so a freshly imported centre is understood."""
    lieux: dict[str, str] = {}
    for place in catalogue.places:
        lieux[place.commune] = place.commune
        for alias in place.aliases:
            lieux[alias] = place.commune
    return {"centre": {c: c for c in catalogue.centres}, "lieu": lieux}


@dataclass
class Storage:
    db: Database
    states: ConversationStateStore
    locks: UserLocks
    persons: PersonRepository
    subscriptions: SubscriptionRepository
    handoffs: HandoffRepository
    unanswered: UnansweredRepository
    dedupe: ProcessedMessageRepository


def build_storage(settings: Settings) -> Storage:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(settings.effective_database_url)
    db.create_schema()
    states: ConversationStateStore = SqlConversationStateStore(db)
    locks: UserLocks = InProcessUserLocks()
    if settings.redis_url:
        from bot.storage.redis_client import connect, connect_async

        states = RedisConversationStateStore(connect(settings.redis_url), states)
        locks = RedisUserLocks(connect_async(settings.redis_url))
    return Storage(
        db=db, states=states, locks=locks, persons=PersonRepository(db, state_store=states),
        subscriptions=SubscriptionRepository(db), handoffs=HandoffRepository(db),
        unanswered=UnansweredRepository(db), dedupe=ProcessedMessageRepository(db),
    )


def build_action_services(settings: Settings, storage: Storage | None = None, *, today=date.today):
    """What the actions need — no NLU, so the rasa-sdk action server starts fast."""
    from actions.services import ActionServices

    storage = storage or build_storage(settings)
    catalogue, search = build_catalogue_search(settings)
    events = load_events(settings.content_dir)
    return ActionServices(
        texts=Texts.load(settings.content_dir), catalogue=catalogue, search=search,
        events=events, persons=storage.persons,
        subscriptions=storage.subscriptions, handoffs=storage.handoffs, states=storage.states,
        unanswered=storage.unanswered, today=today,
        reminders=Reminders(CampaignRepository(storage.db), None, events),
    )


def build_services(settings: Settings, *, today=date.today) -> Services:
    # Imported here: the actions package imports this module for the action server.
    from actions.registry import build_actions
    from bot.handoff.compose import build_handoff

    storage = build_storage(settings)
    action_services = build_action_services(settings, storage, today=today)
    nlu = build_nlu(settings, action_services.catalogue)
    runner = ActionRunner(build_actions(action_services))
    handoff = build_handoff(
        settings, db=storage.db, handoffs=storage.handoffs, persons=storage.persons,
        catalogue=action_services.catalogue,
    )
    conversation = ConversationService(
        nlu=nlu, runner=runner, persons=storage.persons, states=storage.states,
        texts=action_services.texts, places=action_services.search, locks=storage.locks,
        threshold=settings.nlu_threshold, gate=handoff.gate, turns=TurnFactRepository(storage.db),
    )
    return Services(
        settings=settings, db=storage.db, catalogue=action_services.catalogue,
        search=action_services.search, texts=action_services.texts, nlu=nlu,
        persons=storage.persons, states=storage.states, subscriptions=storage.subscriptions,
        handoffs=storage.handoffs, unanswered=storage.unanswered, dedupe=storage.dedupe,
        actions=action_services, runner=runner, conversation=conversation, handoff=handoff,
    )
