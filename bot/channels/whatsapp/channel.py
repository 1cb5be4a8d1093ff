"""Assemble the WhatsApp channel from settings and the core's ports."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from starlette.routing import Route

from bot.channels.ratelimit import SlidingWindowLimiter
from bot.channels.whatsapp.button_ids import ButtonIds, button_keys
from bot.channels.whatsapp.graph import GraphClient
from bot.channels.whatsapp.incoming import CHANNEL
from bot.channels.whatsapp.port import DeliveryStats, WhatsAppPort
from bot.channels.whatsapp.webhook import WhatsAppWebhook
from bot.core.ports import MessageHandler, PersonDirectory
from bot.core.pump import QueuePump
from bot.settings import Settings
from bot.storage.base import utcnow
from bot.storage.shared_keys import SharedKeyStore

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"


class WhatsAppConfigError(ValueError):
    pass


@dataclass
class WhatsAppChannel:
    routes: list[Route]
    port: WhatsAppPort
    webhook: WhatsAppWebhook | None  # None when built to send only (CLI broadcasts)
    graph: GraphClient
    inbox: QueuePump | None = None

    async def join(self) -> None:
        """Wait until every received message was handled (tests)."""
        if self.inbox is not None:
            await self.inbox.drain()

    async def aclose(self) -> None:
        """Close the HTTP client (app shutdown hook, after the inbox pump stopped)."""
        await self.graph.aclose()


def build_whatsapp(
    settings: Settings,
    handler: MessageHandler,
    persons: PersonDirectory,
    status_repo: DeliveryStats,
    shared: SharedKeyStore,
    *,
    inbox: QueuePump | None = None,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] = utcnow,
    backoff: float = 0.5,
) -> WhatsAppChannel:
    _check(settings)
    ids = ButtonIds(button_keys(shared))
    graph = GraphClient(
        http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)),
        base_url=settings.whatsapp_api_base_url,
        phone_number_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token,
        backoff=backoff,
    )
    port = WhatsAppPort(
        graph, persons, status_repo, button_ids=ids, clock=clock,
        # The number's own limiter: WhatsApp is never paced by Telegram's.
        limiter=SlidingWindowLimiter(settings.whatsapp_send_rate),
        template_name=settings.whatsapp_broadcast_template,
    )
    if inbox is None:
        return WhatsAppChannel(routes=[], port=port, webhook=None, graph=graph)
    webhook = WhatsAppWebhook(
        verify_token=settings.whatsapp_verify_token,
        app_secret=settings.whatsapp_app_secret,
        phone_number_id=settings.whatsapp_phone_number_id,
        handler=handler,
        port=port,
        persons=persons,
        stats=status_repo,
        inbox=inbox,
        button_ids=ids,
        clock=clock,
        max_backlog=settings.inbox_max_backlog,
    )
    inbox.register(CHANNEL, webhook.process_item)
    routes = [Route(WEBHOOK_PATH, webhook.endpoint, methods=["GET", "POST"])]
    return WhatsAppChannel(routes=routes, port=port, webhook=webhook, graph=graph, inbox=inbox)


def _check(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("TERRAPRO_WHATSAPP_TOKEN", settings.whatsapp_token),
            ("TERRAPRO_WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
        )
        if not value
    ]
    if not settings.whatsapp_app_secret:
        if settings.dev_mode:
            log.warning("whatsapp: no app secret, webhook signatures NOT checked (dev mode)")
        else:
            missing.append("TERRAPRO_WHATSAPP_APP_SECRET")
    if missing:
        raise WhatsAppConfigError(
            "WhatsApp : réglage(s) manquant(s) : " + ", ".join(missing)
            + " (TERRAPRO_DEV_MODE=true permet de démarrer sans secret d'application, jamais en production)."
        )
    if not settings.whatsapp_verify_token:
        log.warning("whatsapp: no verify token, Meta's webhook verification will be refused")
