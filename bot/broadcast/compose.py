"""Builds the broadcast parts from the application's services (called by the composition root)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.broadcast.engine import DeliveryEngine
from bot.broadcast.reminders import Reminders
from bot.broadcast.service import BroadcastService
from bot.broadcast.worker import BroadcastWorker
from bot.catalogue.loader import load_events
from bot.core.outbound import ChannelPorts
from bot.settings import Settings
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository
from bot.storage.database import Database
from bot.storage.retention import PeriodicPurge, RetentionPurge
from bot.storage.subscriptions import SubscriptionRepository


@dataclass
class Broadcast:
    repo: CampaignRepository
    engine: DeliveryEngine
    service: BroadcastService
    reminders: Reminders
    worker: BroadcastWorker


class BroadcastDeps(Protocol):
    """What building the broadcasts reads from the composition root's App (which also
    offers ``catalogue`` and ``events``, read when present)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...


def build_broadcast(
    services: BroadcastDeps,
    ports: ChannelPorts,
    *,
    clock: Callable[[], datetime] = utcnow,
    concurrency: int | None = None,
    worker_interval: float = 30.0,
) -> Broadcast:
    """``services``: the composition root's App (uses .settings, .db, .subscriptions, .catalogue, .events).

    ``ports``: the process's outbound ports (the same ones replies and relays use, so a
    channel has one rate limiter whose priority lane serves replies before broadcasts).
    """
    settings = services.settings
    repo = CampaignRepository(services.db)
    events = list(getattr(services, "events", None) or load_events(settings.content_dir))
    catalogue = getattr(services, "catalogue", None)
    bassins = {p.bassin for p in catalogue.places} if catalogue else set()
    filieres = {f.code for f in catalogue.filieres} if catalogue else set()
    engine = DeliveryEngine(repo, ports, lambda: ports.channels, clock=clock, concurrency=concurrency)
    service = BroadcastService(
        repo, services.subscriptions, engine, events, clock=clock, bassins=bassins, filieres=filieres
    )
    reminders = Reminders(repo, engine, events, clock=clock)
    purge = PeriodicPurge(RetentionPurge(services.db, services.settings.retention_days))
    worker = BroadcastWorker(service, reminders, interval=worker_interval, housekeeping=purge)
    return Broadcast(repo, engine, service, reminders, worker)
