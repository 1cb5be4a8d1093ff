"""Builds the hand-off parts from settings and storage (called by the composition root)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.broadcast.composer import BroadcastComposer, draft_store
from bot.catalogue.model import Catalogue
from bot.core.messages import IncomingMessage
from bot.core.outbound import ChannelPorts
from bot.core.ports import MessageHandler
from bot.core.pump import QueuePump
from bot.core.safety import SafetyContent
from bot.core.texts import Texts
from bot.handoff.bus import OutboxBus
from bot.handoff.console import ReferentConsole
from bot.handoff.gate import HandoffGate
from bot.handoff.media import MediaRelay
from bot.handoff.notifications import NotificationDispatcher, OutboxDelivery
from bot.handoff.permanences import Permanences
from bot.handoff.ports import Clock
from bot.handoff.router import RoutingHandler
from bot.handoff.service import HandoffService
from bot.handoff.texts import HandoffTexts
from bot.handoff.urgent import UrgentHandoff
from bot.handoff.worker import HandoffWorker
from bot.reports.digest import CoordinatorDigest
from bot.reports.messages import load_messages
from bot.reports.weekly import WeeklyReport
from bot.settings import Settings
from bot.storage.base import utcnow
from bot.storage.console_views import ConsoleViews
from bot.storage.database import Database
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from bot.storage.queue import DurableQueue, OutboxItem
from bot.storage.referents import NoticeRepository, ReferentRepository
from bot.storage.shared_keys import SharedKeyStore, SqlSharedKeyStore
from bot.storage.turn_facts import TurnFactRepository


@dataclass
class Handoff:
    service: HandoffService
    gate: HandoffGate
    console: ReferentConsole
    worker: HandoffWorker
    ports: ChannelPorts
    dispatcher: NotificationDispatcher
    bus: OutboxBus
    # Delivers what was written to the outbox and not sent at once (any process, with retries).
    outbox: QueuePump
    referents: ReferentRepository
    media: MediaRelay  # channels register their MediaTransport (voice notes, photos)
    urgent: UrgentHandoff  # the core's SafetyNet

    def handler(self, core: MessageHandler) -> RoutingHandler:
        """What the Telegram adapter gets instead of the core."""
        return RoutingHandler(core, self.console, self.referents)

    def start(self) -> None:
        """Inside the running event loop of a process that can send (Telegram and/or WhatsApp)."""
        self.outbox.start()
        self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.outbox.stop()


def composer_for(catalogue: Catalogue | None, shared: SharedKeyStore) -> BroadcastComposer:
    bassins: dict[str, list[str]] = {}
    for place in catalogue.places if catalogue else ():
        if place.bassin not in bassins.setdefault(place.territoire, []):
            bassins[place.territoire].append(place.bassin)
    return BroadcastComposer(bassins_by_territory=bassins, drafts=draft_store(shared))


def build_digest(settings: Settings, db: Database, clock: Clock) -> CoordinatorDigest:
    views = ConsoleViews(db)
    return CoordinatorDigest(
        WeeklyReport(TurnFactRepository(db), views, clock), views, load_messages(settings.content_dir)
    )


def build_handoff(
    settings: Settings,
    *,
    db: Database,
    handoffs: HandoffRepository,
    persons: PersonRepository,
    catalogue: Catalogue | None,
    clock: Clock = utcnow,
    worker_interval: float = 15.0,
    ports: ChannelPorts | None = None,
    shared: SharedKeyStore | None = None,
    lets_through: Callable[[IncomingMessage], bool] | None = None,
    safety: SafetyContent | None = None,
) -> Handoff:
    """``ports``: the process's outbound ports, filled once the channels are built.
    ``shared``: where /diffuser drafts live (default: the database)."""
    texts = HandoffTexts.load(settings.content_dir)  # content/handoff.yml, checked whole now
    referents = ReferentRepository(db)
    notices = NoticeRepository(db)
    ports = ports if ports is not None else ChannelPorts()
    media = MediaRelay()
    dispatcher = NotificationDispatcher(ports, notices, media, media_failure_text(Texts.load(settings.content_dir)))
    outbox = QueuePump(DurableQueue(db, OutboxItem), lease=timedelta(seconds=settings.inbox_lease_seconds))
    bus = OutboxBus(db, outbox)
    delivery = OutboxDelivery(dispatcher, bus, texts)
    outbox.register_all(lambda: ports.channels, delivery, on_exhausted=delivery.exhausted)
    service = HandoffService(
        handoffs=handoffs, referents=referents, notices=notices, persons=persons, bus=bus,
        permanences=Permanences.load(settings.content_dir), catalogue=catalogue, clock=clock,
        renotify_after=timedelta(minutes=settings.handoff_renotify_minutes),
        safety=safety or SafetyContent.load(settings.content_dir),
        urgent_renotify_after=timedelta(minutes=settings.handoff_urgent_renotify_minutes),
        texts=texts,
    )
    return Handoff(
        service=service, gate=HandoffGate(service, texts, lets_through),
        console=ReferentConsole(
            service, texts, composer_for(catalogue, shared or SqlSharedKeyStore(db)), build_digest(settings, db, clock)
        ),
        worker=HandoffWorker(service, interval=worker_interval), ports=ports, dispatcher=dispatcher,
        bus=bus, outbox=outbox, referents=referents, media=media, urgent=UrgentHandoff(service),
    )


def media_failure_text(texts: Texts) -> Callable[[str, str], str]:
    """What the sender of a voice note or photo reads when it could not be relayed."""
    def text(reason: str, kind: str) -> str:
        return texts.get(f"media_failed_{reason}", "fr", what=texts.get(f"media_what_{kind}", "fr"))

    return text
