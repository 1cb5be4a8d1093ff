"""Assemble the WhatsApp channel from settings and the core's ports."""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.routing import Route

from bot.channels.ratelimit import InProcessRateLimits, RateLimits
from bot.channels.replies import ReplyOutbox
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
    clock: Callable[[], datetime] = utcnow,
    backoff: float = 0.5,
    bind_host: str = "127.0.0.1",
    replies: ReplyOutbox | None = None,
    limits: RateLimits | None = None,
) -> WhatsAppChannel:
    """``limits``: the process's rate limits (shared through Redis when configured); None: this
    process's own, right only when no other process sends for the number."""
    _check(settings, bind_host)
    if limits is None:
        limits = InProcessRateLimits()
    ids = ButtonIds(button_keys(shared))
    graph = GraphClient(
        base_url=settings.whatsapp_api_base_url,
        phone_number_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token,
        backoff=backoff,
    )
    port = WhatsAppPort(
        graph, persons, status_repo, button_ids=ids, clock=clock,
        # The number's own limiter: WhatsApp is never paced by Telegram's.
        limiter=limits.window(f"whatsapp:{settings.whatsapp_phone_number_id}", settings.whatsapp_send_rate),
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
        replies=replies,
    )
    inbox.register(CHANNEL, webhook.process_item)
    routes = [Route(WEBHOOK_PATH, webhook.endpoint, methods=["GET", "POST"])]
    return WhatsAppChannel(routes=routes, port=port, webhook=webhook, graph=graph, inbox=inbox)


MIN_APP_SECRET_CHARS = 16


def _check(settings: Settings, bind_host: str) -> None:
    missing = [
        name
        for name, value in (
            ("TERRAPRO_WHATSAPP_TOKEN", settings.whatsapp_token),
            ("TERRAPRO_WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
        )
        if not value
    ]
    secret = settings.whatsapp_app_secret
    if secret and len(secret) < MIN_APP_SECRET_CHARS:
        raise WhatsAppConfigError(
            f"WhatsApp : TERRAPRO_WHATSAPP_APP_SECRET est trop court (au moins {MIN_APP_SECRET_CHARS} "
            "caractères) : copiez la clé secrète de l'application depuis la console Meta."
        )
    if settings.dev_mode and not settings.insecure_local_dev:
        raise WhatsAppConfigError(
            "TERRAPRO_DEV_MODE n'accepte que la valeur « insecure-local » (ou rien)."
        )
    if not secret:
        if settings.insecure_local_dev and is_loopback(bind_host):
            log.warning("whatsapp: no app secret, webhook signatures NOT checked (insecure-local dev mode)")
        elif settings.insecure_local_dev:
            raise WhatsAppConfigError(
                "TERRAPRO_DEV_MODE=insecure-local refusé : le serveur écoute sur une adresse qui n'est pas "
                "locale ; les webhooks non signés ne sont acceptés que sur 127.0.0.1 ou ::1."
            )
        else:
            missing.append("TERRAPRO_WHATSAPP_APP_SECRET")
    if missing:
        raise WhatsAppConfigError(
            "WhatsApp : réglage(s) manquant(s) : " + ", ".join(missing)
            + " (TERRAPRO_DEV_MODE=insecure-local permet un essai sur 127.0.0.1 sans secret d'application, "
            "jamais en production)."
        )
    if not settings.whatsapp_verify_token:
        log.warning("whatsapp: no verify token, Meta's webhook verification will be refused")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
