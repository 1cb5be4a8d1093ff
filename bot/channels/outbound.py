"""Filling the process's outbound ports, and sending outside a reply (broadcasts, reminders).

Inside a running bot (`serve`, `telegram`) the channels are already built and
started; a coordinator's `terrapro broadcast send` / `worker` process builds them
itself, without polling or webhooks, only to send.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bot.broadcast.compose import Broadcast, BroadcastDeps, build_broadcast
from bot.channels.ratelimit import RateLimits
from bot.core.conversation import Settle
from bot.core.messages import IncomingMessage, Reply
from bot.core.outbound import ChannelPorts, Lane, SendResult, WriteHook
from bot.core.ports import MessageHandler
from bot.handoff.compose import Handoff
from bot.storage.persons import PersonRepository
from bot.storage.shared_keys import SharedKeyStore

log = logging.getLogger(__name__)

REASON_NOT_STARTED = "telegram injoignable au démarrage"


class InitialisingTelegramPort:
    """The Telegram port of an Application initialised on first use, in the loop that sends."""

    def __init__(self, application: Any) -> None:
        from bot.channels.telegram import port_of

        self._application = application
        self._port = port_of(application)
        self._ready = False

    async def _ensure_ready(self) -> bool:
        """False if Telegram cannot be reached to start the bot (nothing was sent)."""
        if not self._ready:
            from telegram.error import NetworkError

            try:
                await self._application.initialize()
            except NetworkError as exc:
                log.warning("telegram: cannot start the bot (%s)", type(exc).__name__)
                return False
            self._ready = True
        return True

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None, on_write: WriteHook | None = None,
    ) -> SendResult:
        if not await self._ensure_ready():
            return SendResult.not_sent(REASON_NOT_STARTED)
        return await self._port.send(channel, external_id, reply, lane, replying_to=replying_to, on_write=on_write)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        if not await self._ensure_ready():
            return SendResult.not_sent(REASON_NOT_STARTED)
        return await self._port.edit(channel, external_id, message_ref, reply)


class CoreOnFirstMessage:
    """A send-only process never handles a message: the core, and its NLU model, are
    built only if one arrives anyway."""

    def __init__(self, build_core: Callable[[], MessageHandler]) -> None:
        self._build_core = build_core

    async def handle(self, message: IncomingMessage, *, settle: Settle | None = None) -> list[Reply]:
        return await self._build_core().handle(message, settle=settle)


class SendingDeps(BroadcastDeps, Protocol):
    """What a send-only process reads from the composition root's App."""

    @property
    def handoff(self) -> Handoff: ...

    @property
    def conversation(self) -> MessageHandler: ...

    @property
    def persons(self) -> PersonRepository: ...

    @property
    def shared(self) -> SharedKeyStore: ...

    @property
    def rate_limits(self) -> RateLimits: ...


def build_sending_broadcast(services: SendingDeps) -> Broadcast:
    """For `terrapro broadcast …` and `terrapro worker`: the enabled channels' ports, send-only."""
    settings = services.settings
    ports: ChannelPorts = services.handoff.ports
    core = CoreOnFirstMessage(lambda: services.conversation)
    if settings.telegram_enabled:
        from bot.channels.telegram import build_application

        logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the bot token
        application = build_application(
            settings, core, services.persons, services.shared, limits=services.rate_limits
        )
        ports.register("telegram", InitialisingTelegramPort(application))
    if settings.whatsapp_enabled:
        from bot.channels.whatsapp.channel import build_whatsapp
        from bot.storage.delivery_status import DeliveryStatusRepository

        whatsapp = build_whatsapp(
            settings, core, services.persons, DeliveryStatusRepository(services.db), services.shared,
            limits=services.rate_limits,
        )
        ports.register("whatsapp", whatsapp.port)
    return build_broadcast(services, ports)


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
