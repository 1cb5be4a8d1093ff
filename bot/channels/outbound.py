"""Sending outside a reply: broadcasts and reminders through the enabled channels.

Inside a running bot (`serve`, `telegram`) the channels are already built and
started; a coordinator's `terrapro broadcast send` / `worker` process builds them
itself, without polling or webhooks, only to send.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.broadcast.compose import Broadcast, build_broadcast
from bot.broadcast.ratelimit import SlidingWindowLimiter
from bot.broadcast.telegram import TelegramRecipientSender
from bot.broadcast.whatsapp import WhatsAppRecipientSender
from bot.core.messages import IncomingMessage, Reply
from bot.core.ports import MessageHandler

log = logging.getLogger(__name__)


def attach_broadcast(services: Any, *, telegram_sender: Any = None, whatsapp_sender: Any = None) -> Broadcast:
    """One broadcast limiter for the process; a Telegram 429 pauses the whole campaign."""
    settings = services.settings
    limiter = SlidingWindowLimiter(settings.telegram_broadcast_rate)
    senders = {}
    if telegram_sender is not None:
        telegram_sender.on_retry_after(limiter.pause)
        telegram_sender.share_rate_with(limiter)
        senders["telegram"] = TelegramRecipientSender(telegram_sender)
    if whatsapp_sender is not None:
        senders["whatsapp"] = WhatsAppRecipientSender(whatsapp_sender, settings.whatsapp_broadcast_template)
    return build_broadcast(services, senders, limiter=limiter)


class InitialisingTelegramSender:
    """A TelegramSender whose Bot is initialised on first use, in the loop that sends."""

    def __init__(self, application: Any) -> None:
        from bot.channels.telegram import sender_of

        self._application = application
        self._sender = sender_of(application)
        self._ready = False

    def on_retry_after(self, listener) -> None:
        self._sender.on_retry_after(listener)

    def share_rate_with(self, limiter) -> None:
        self._sender.share_rate_with(limiter)

    async def send(self, chat_id: int | str, reply: Reply, *, bulk: bool = False):
        if not self._ready:
            await self._application.initialize()
            self._ready = True
        return await self._sender.send(chat_id, reply, bulk=bulk)


class CoreOnFirstMessage:
    """A send-only process never handles a message: the core, and its NLU model, are
    built only if one arrives anyway."""

    def __init__(self, build_core: Callable[[], MessageHandler]) -> None:
        self._build_core = build_core

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        return await self._build_core().handle(message)


def build_sending_broadcast(services: Any) -> Broadcast:
    """For `terrapro broadcast …` and `terrapro worker`: the enabled channels, send-only."""
    settings = services.settings
    core = CoreOnFirstMessage(lambda: services.conversation)
    telegram_sender = whatsapp_sender = None
    if settings.telegram_enabled:
        from bot.channels.telegram import build_application

        logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the bot token
        telegram_sender = InitialisingTelegramSender(
            build_application(settings, core, services.persons)
        )
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp.channel import build_whatsapp
        from bot.storage.delivery_status import DeliveryStatusRepository

        whatsapp_sender = build_whatsapp(
            settings, core, services.persons, DeliveryStatusRepository(services.db)
        ).sender
    return attach_broadcast(services, telegram_sender=telegram_sender, whatsapp_sender=whatsapp_sender)


class BroadcastWorkerTask:
    """Runs the broadcast worker (scheduled campaigns, reminders) inside a running bot."""

    def __init__(self, broadcast: Broadcast) -> None:
        self._broadcast = broadcast
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._broadcast.worker.run(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._task, timeout=10)
