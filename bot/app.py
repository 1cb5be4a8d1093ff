"""The composition root: the one place that builds every part from ``Settings``.

``App`` builds each part on first use and keeps it: a command pays only for what
it touches (``terrapro broadcast list`` opens the database and reads the
content, it never loads the NLU model). Parts, bottom up:

- ``storage``: database (migrated or refused, see ``bot.storage.schema``), Redis, repositories;
- ``rate_limits``: the channels' send limits, shared through Redis when it is configured;
- content: ``catalogue``, fuzzy ``search``, ``texts``, ``events``;
- ``nlu``: the intent/entity engine (trained or loaded from its cache);
- ``actions`` / ``runner``: the rasa-sdk actions and their executor;
- ``conversation``: the core (one message in, replies out), counted and timed;
- ``metrics``, ``health``: what `GET /metrics` and `GET /health` serve;
- ``handoff``: the referents' queue, console and worker;
- ``admin_broadcast()`` / ``sending_broadcast()``: campaigns, without or with the channels.

Channels (``bot.channels``, ``bot.web``) receive the ``App`` from ``bot.cli`` and
take the parts they need from it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from bot.catalogue.loader import load_catalogue, load_events
from bot.catalogue.model import Catalogue, Event
from bot.catalogue.search import CatalogueSearch
from bot.core.phrases import PhraseLists
from bot.core.texts import Texts
from bot.nlu.vocabulary import load_synonyms
from bot.settings import Settings
from bot.storage import schema
from bot.storage.database import Database
from bot.storage.identity import IdentityProtector
from bot.storage.locks import InProcessUserLocks, RedisUserLocks, UserLocks
from bot.storage.repositories import (
    ConversationStateStore,
    HandoffRepository,
    PersonRepository,
    SqlConversationStateStore,
    SubscriptionRepository,
    UnansweredRepository,
)
from bot.storage.secret_key import master_key
from bot.storage.shared_keys import RedisSharedKeyStore, SharedKeyStore, SqlSharedKeyStore
from bot.storage.turns import TurnRunner

if TYPE_CHECKING:  # the parts above storage and content are imported when first built
    from rasa_sdk.executor import ActionExecutor

    from actions.services import ActionServices
    from bot.broadcast.compose import Broadcast
    from bot.channels.ratelimit import RateLimits
    from bot.core.action_runner import ActionRunner
    from bot.core.conversation import ConversationService
    from bot.core.safety import SafetyContent
    from bot.handoff.compose import Handoff
    from bot.nlu.engine import NluEngine
    from bot.observability.health import HealthCheck
    from bot.observability.metrics import Metrics
    from bot.storage.operations import OperationsRepository

log = logging.getLogger(__name__)


@dataclass
class Storage:
    db: Database
    states: ConversationStateStore
    locks: UserLocks
    persons: PersonRepository
    subscriptions: SubscriptionRepository
    handoffs: HandoffRepository
    unanswered: UnansweredRepository
    shared: SharedKeyStore
    identity: IdentityProtector


class App:
    """Every part of the bot for one process, each built on first use."""

    def __init__(self, settings: Settings, *, today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self._today = today

    # -- storage -------------------------------------------------------------------

    @cached_property
    def storage(self) -> Storage:
        return build_storage(self.settings)

    @cached_property
    def rate_limits(self) -> RateLimits:
        """Every channel's send limits: with Redis, one budget per bot / number for all the
        processes (and no quiet fallback to a local one when Redis fails); without, this process's."""
        from bot.channels.ratelimit import InProcessRateLimits

        if not self.settings.redis_url:
            return InProcessRateLimits()
        from bot.channels.ratelimit_redis import RedisRateLimits
        from bot.storage.redis_client import connect_async

        identity = self.storage.identity
        return RedisRateLimits(
            connect_async(self.settings.redis_url), key_of=lambda key: identity.lookup_hash("ratelimit", key)
        )

    @property
    def db(self) -> Database:
        return self.storage.db

    @property
    def persons(self) -> PersonRepository:
        return self.storage.persons

    @property
    def states(self) -> ConversationStateStore:
        return self.storage.states

    @property
    def subscriptions(self) -> SubscriptionRepository:
        return self.storage.subscriptions

    @property
    def handoffs(self) -> HandoffRepository:
        return self.storage.handoffs

    @property
    def unanswered(self) -> UnansweredRepository:
        return self.storage.unanswered

    @property
    def shared(self) -> SharedKeyStore:
        return self.storage.shared

    # -- content ---------------------------------------------------------------------

    @cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue(self.settings.content_dir)

    @cached_property
    def search(self) -> CatalogueSearch:
        return CatalogueSearch(self.catalogue, load_synonyms(self.settings.nlu_data_dir))

    @cached_property
    def texts(self) -> Texts:
        return Texts.load(self.settings.content_dir)

    @cached_property
    def events(self) -> list[Event]:
        return load_events(self.settings.content_dir)

    @cached_property
    def safety(self) -> SafetyContent:
        """Distress phrases, help lines and safety texts (content/safety.yml)."""
        from bot.core.safety import SafetyContent

        return SafetyContent.load(self.settings.content_dir)

    # -- understanding and dialogue --------------------------------------------------

    @cached_property
    def nlu(self) -> NluEngine:
        return build_nlu(self.settings, self.catalogue)

    @cached_property
    def actions(self) -> ActionServices:
        """What the actions need — no NLU, so the action server starts fast."""
        from actions.profile_words import ProfileReader
        from actions.services import ActionServices
        from bot.broadcast.reminders import Reminders
        from bot.handoff.permanences import Permanences
        from bot.storage.campaigns import CampaignRepository

        return ActionServices(
            texts=self.texts, catalogue=self.catalogue, search=self.search, events=self.events,
            persons=self.persons, subscriptions=self.subscriptions, handoffs=self.handoffs,
            states=self.states, unanswered=self.unanswered, today=self._today,
            reminders=Reminders(CampaignRepository(self.db), None, self.events),
            profile=ProfileReader(self.texts.profile_words), permanences=Permanences.load(self.settings.content_dir),
            phrases=self.phrases,
            retention_days=self.settings.retention_days,
        )

    @cached_property
    def phrases(self) -> PhraseLists:
        return PhraseLists.load(self.settings.content_dir)

    @cached_property
    def runner(self) -> ActionRunner:
        from actions.registry import build_actions
        from bot.core.action_runner import ActionRunner

        return ActionRunner(build_actions(self.actions))

    @property
    def action_executor(self) -> ActionExecutor:
        """For `terrapro actions-server`: the same actions, served to a Rasa server."""
        return self.runner.executor

    @cached_property
    def conversation(self) -> ConversationService:
        """The core (counted and timed for `/metrics`)."""
        from bot.core.safety import SafetyDesk
        from bot.observability.metrics import MeasuredConversation
        from bot.storage.turn_facts import TurnFactRepository

        return MeasuredConversation(
            self.metrics,
            nlu=self.nlu, runner=self.runner, persons=self.persons, states=self.states,
            texts=self.texts, places=self.search, locks=self.storage.locks,
            threshold=self.settings.nlu_threshold, gate=self.handoff.gate,
            safety=SafetyDesk(self.safety, self.handoff.urgent),
            flood_limit=self.settings.flood_limit_per_minute, turns=build_turn_runner(self.settings, self.db),
            phrases=self.phrases,
            recorder=TurnFactRepository(self.db),
        )

    # -- hand-off and broadcasts -----------------------------------------------------

    @cached_property
    def handoff(self) -> Handoff:
        from bot.core.privacy_requests import PrivacyRequests
        from bot.handoff.compose import build_handoff
        from bot.handoff.erasure import HandoffAwareEraser

        handoff = build_handoff(
            self.settings, db=self.db, handoffs=self.handoffs, persons=self.persons, catalogue=self.catalogue,
            shared=self.storage.shared, safety=self.safety,
            # « Qu'est-ce que tu sais sur moi ? » and « supprime mes données » reach the bot during a hand-off.
            lets_through=PrivacyRequests(lambda text: self.nlu.parse(text), self.settings.nlu_threshold),
        )
        # The delete action tells a referent holding the chat before the rows go.
        self.actions.eraser = HandoffAwareEraser(self.persons, handoff.service)
        return handoff

    def admin_broadcast(self) -> Broadcast:
        """Create, preview, list campaigns: no channel, no NLU."""
        from bot.broadcast.compose import build_broadcast
        from bot.core.outbound import ChannelPorts

        return build_broadcast(self, ChannelPorts())

    def sending_broadcast(self) -> Broadcast:
        """`broadcast send` and `worker`: the enabled channels, send-only (no polling, no webhook)."""
        from bot.channels.outbound import build_sending_broadcast

        return build_sending_broadcast(self)

    # -- operations ---------------------------------------------------------------------

    @cached_property
    def operations(self) -> OperationsRepository:
        from bot.storage.operations import OperationsRepository

        return OperationsRepository(self.db)

    @cached_property
    def metrics(self) -> Metrics:
        from bot.observability.metrics import Metrics

        metrics = Metrics()
        metrics.watch_database(self.operations)
        return metrics

    @cached_property
    def health(self) -> HealthCheck:
        from bot.observability.health import HealthCheck

        redis_ping = None
        if self.settings.redis_url:
            from bot.storage.redis_client import connect_async

            redis_ping = connect_async(self.settings.redis_url).ping
        return HealthCheck(self.operations, redis_ping)

    def close(self) -> None:
        if self.__dict__.get("turns") is not None:
            self.turns.close()
        if "storage" in self.__dict__:
            self.db.dispose()


def build_app(settings: Settings, *, today: Callable[[], date] = date.today) -> App:
    return App(settings, today=today)


# The name the tests and benches know; the same lazily built App.
build_services = build_app


def build_nlu(settings: Settings, catalogue: Catalogue | None = None) -> NluEngine:
    from bot.nlu.engine import NluEngine

    if catalogue is None:
        catalogue = load_catalogue(settings.content_dir)
    return NluEngine.load_or_train(
        settings.nlu_data_dir, settings.effective_nlu_cache_dir, extra_values=nlu_extra_values(catalogue)
    )


def nlu_model_ready(settings: Settings) -> bool:
    """Whether the NLU model for the current training data is cached (else it trains on start)."""
    from bot.nlu.engine import NluEngine

    return NluEngine.is_cached(settings.nlu_data_dir, settings.effective_nlu_cache_dir)


def nlu_extra_values(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """The current catalogue's centres and places, so a freshly imported centre is understood."""
    lieux: dict[str, str] = {}
    for place in catalogue.places:
        lieux[place.commune] = place.commune
        for alias in place.aliases:
            lieux[alias] = place.commune
    return {"centre": {c: c for c in catalogue.centres}, "lieu": lieux}


def build_storage(settings: Settings) -> Storage:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    identity = IdentityProtector(master_key(settings.secret_key, settings.data_dir))
    db = Database.from_url(settings.effective_database_url, identity=identity)
    # SQLite is one process's own file: it upgrades itself, so `terrapro chat` just works.
    # PostgreSQL is shared by every process: an operator runs `terrapro db upgrade` once.
    schema.ensure_current(db, auto_upgrade=db.dialect == "sqlite")
    states: ConversationStateStore = SqlConversationStateStore(db)
    locks: UserLocks = InProcessUserLocks()
    shared: SharedKeyStore = SqlSharedKeyStore(db)
    if settings.redis_url:
        from bot.storage.redis_client import connect, connect_async

        redis = connect(settings.redis_url)
        locks = RedisUserLocks(
            connect_async(settings.redis_url), key_of=lambda key: identity.lookup_hash("lock", key)
        )
        shared = RedisSharedKeyStore(redis)
    persons = PersonRepository(db, state_store=states)
    persons.protect_clear_ids()  # rows from before ids were encrypted at rest
    return Storage(
        db=db, states=states, locks=locks, persons=persons,
        subscriptions=SubscriptionRepository(db), handoffs=HandoffRepository(db),
        unanswered=UnansweredRepository(db), shared=shared,
        identity=identity,
    )


def build_turn_runner(settings: Settings, db: Database) -> TurnRunner | None:
    """Message turns off the event loop, one unit of work each (0 workers: on the loop, as before)."""
    return TurnRunner(db, settings.turn_workers) if settings.turn_workers > 0 else None
