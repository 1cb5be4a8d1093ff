"""Builds the broadcast parts from the application's services (called by the composition root)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.broadcast.engine import DeliveryEngine
from bot.broadcast.ports import RecipientSender
from bot.broadcast.ratelimit import SlidingWindowLimiter
from bot.broadcast.reminders import Reminders
from bot.broadcast.service import BroadcastService
from bot.broadcast.worker import BroadcastWorker
from bot.catalogue.loader import load_events
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository


@dataclass
class Broadcast:
    repo: CampaignRepository
    limiter: SlidingWindowLimiter
    engine: DeliveryEngine
    service: BroadcastService
    reminders: Reminders
    worker: BroadcastWorker


def build_broadcast(
    services: Any,
    senders: Mapping[str, RecipientSender] | None = None,
    *,
    limiter: SlidingWindowLimiter | None = None,
    clock: Callable[[], datetime] = utcnow,
    concurrency: int | None = None,
    worker_interval: float = 30.0,
) -> Broadcast:
    """``services``: bot.app.Services (uses .settings, .db, .subscriptions, .catalogue).

    ``senders`` maps a channel name ("telegram", "whatsapp") to its RecipientSender;
    when None, ``services.broadcast_senders`` is used if the root attached it.
    ``limiter`` should be the one shared with the channel (its ``pause`` on a 429);
    when None, ``services.broadcast_limiter`` or a new one at telegram_broadcast_rate.
    """
    settings = services.settings
    repo = CampaignRepository(services.db)
    if senders is None:
        senders = getattr(services, "broadcast_senders", None) or {}
    limiter = limiter or getattr(services, "broadcast_limiter", None) or SlidingWindowLimiter(
        settings.telegram_broadcast_rate
    )
    events = list(getattr(services, "events", None) or load_events(settings.content_dir))
    catalogue = getattr(services, "catalogue", None)
    bassins = {p.bassin for p in catalogue.places} if catalogue else set()
    filieres = {f.code for f in catalogue.filieres} if catalogue else set()
    engine = DeliveryEngine(repo, senders, limiter, clock=clock, concurrency=concurrency)
    service = BroadcastService(
        repo, services.subscriptions, engine, events, clock=clock, bassins=bassins, filieres=filieres
    )
    reminders = Reminders(repo, engine, events, clock=clock)
    worker = BroadcastWorker(service, reminders, interval=worker_interval)
    return Broadcast(repo, limiter, engine, service, reminders, worker)
