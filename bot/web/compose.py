"""Builds the ASGI app of `terrapro serve` from the channels whose settings are present."""
from __future__ import annotations

import logging
from typing import Protocol

from starlette.applications import Starlette

from bot.broadcast.compose import build_broadcast
from bot.channels.inbox import build_inbox_pump
from bot.channels.outbound import BroadcastWorkerTask, SendingDeps
from bot.channels.replies import ReplyOutbox
from bot.channels.telegram import (
    TelegramInbox,
    build_application,
    port_of,
    start_application,
    stop_application,
    telegram_routes,
)
from bot.channels.telegram.media import TelegramMedia
from bot.channels.whatsapp.channel import build_whatsapp
from bot.channels.whatsapp.media import build_whatsapp_media
from bot.observability.health import HealthCheck
from bot.observability.metrics import Metrics
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.web.app import create_app
from bot.web.console import build_console

log = logging.getLogger(__name__)


class WebDeps(SendingDeps, Protocol):
    """What `terrapro serve` reads from the composition root's App."""

    @property
    def health(self) -> HealthCheck: ...

    @property
    def metrics(self) -> Metrics: ...

    def close(self) -> None: ...


def build_web_app(services: WebDeps, host: str = "127.0.0.1") -> Starlette:
    settings = services.settings
    handoff = services.handoff
    routes, on_startup, on_shutdown = [], [], []
    limits = services.rate_limits
    # Every channel writes what it receives to the durable inbox before acknowledging it.
    inbox = build_inbox_pump(settings, services.db)
    # ...and answers it through the durable outbox, written with the turn.
    replies = ReplyOutbox(services.db, handoff.bus, services.persons)
    if settings.whatsapp_enabled:
        whatsapp = build_whatsapp(
            settings, services.conversation, services.persons, DeliveryStatusRepository(services.db),
            services.shared, inbox=inbox, bind_host=host, replies=replies, limits=limits,
        )
        routes += whatsapp.routes
        on_shutdown.append(whatsapp.aclose)
        handoff.ports.register("whatsapp", whatsapp.port)
        media = build_whatsapp_media(
            settings, whatsapp.graph, whatsapp.port.within_window, limiter=whatsapp.port.limiter
        )
        handoff.media.register("whatsapp", media)
        on_shutdown.append(media.aclose)
    if settings.telegram_enabled:
        # httpx logs request URLs, and Telegram's carry the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        # Registered referents' messages go to the referent console, everyone else's to the bot.
        telegram = build_application(
            settings, handoff.handler(services.conversation), services.persons, services.shared,
            replies=replies, limits=limits,
        )
        handoff.ports.register("telegram", port_of(telegram))
        handoff.media.register("telegram", TelegramMedia(telegram.bot))
        routes += telegram_routes(settings, TelegramInbox(telegram, inbox, max_backlog=settings.inbox_max_backlog))
        on_startup.append(lambda: start_application(telegram))
        on_shutdown.append(lambda: stop_application(telegram))
    broadcast = build_broadcast(services, handoff.ports)
    handoff.console.enable_broadcasts(broadcast)
    broadcasts = BroadcastWorkerTask(broadcast)
    on_startup += [inbox.start, handoff.start, broadcasts.start]
    # First: a send waiting only for an unreachable Redis gives up, so the stops below do not wait
    # for it (with Redis up, in-flight turns still send their replies); the broadcast worker is
    # told to stop in the same step, so it claims no new row only to give it up.
    on_shutdown[:0] = [limits.close, broadcasts.stop, inbox.stop, handoff.stop]
    if not routes:
        log.warning("no channel configured: only /health and /console are served")
    routes.append(build_console(services, broadcast.service))
    on_shutdown += [limits.aclose, services.close]
    return create_app(
        routes, on_startup=on_startup, on_shutdown=on_shutdown, health=services.health, metrics=services.metrics
    )
