"""Builds the ASGI app of `terrapro serve` from the channels whose settings are present."""
from __future__ import annotations

import logging

from starlette.applications import Starlette

from bot.channels.telegram import build_application, start_application, stop_application, telegram_routes
from bot.channels.whatsapp.channel import build_whatsapp
from bot.storage.delivery_status import DeliveryStatusRepository
from bot.web.app import create_app

log = logging.getLogger(__name__)


def build_web_app(services) -> Starlette:
    settings = services.settings
    routes, on_startup, on_shutdown = [], [], []
    if settings.whatsapp_enabled:
        whatsapp = build_whatsapp(
            settings, services.conversation, services.persons, services.dedupe, DeliveryStatusRepository(services.db)
        )
        routes += whatsapp.routes
        on_shutdown.append(whatsapp.aclose)
    if settings.telegram_enabled:
        # httpx logs request URLs, and Telegram's carry the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        telegram = build_application(settings, services.conversation, services.persons)
        routes += telegram_routes(settings, telegram)
        on_startup.append(lambda: start_application(telegram))
        on_shutdown.append(lambda: stop_application(telegram))
    if not routes:
        log.warning("no channel configured: only /health is served")
    on_shutdown.append(services.close)
    return create_app(routes, on_startup=on_startup, on_shutdown=on_shutdown)
