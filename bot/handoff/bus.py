"""Where notifications go: straight to the outbox in-process, or through Redis.

With Redis, one list per channel ("terrapro:notify:telegram", "terrapro:notify:whatsapp"):
a worker only pops the channels it can deliver, so a WhatsApp-only worker never swallows
a referent's Telegram notification.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from bot.handoff.notifications import Notification, NotificationDispatcher
from bot.storage.turns import caller_loop
from bot.storage.unit_of_work import after_commit

log = logging.getLogger(__name__)

REDIS_KEY = "terrapro:notify"


class NotificationBus(Protocol):
    async def publish(self, notification: Notification) -> None: ...


class InProcessBus:
    def __init__(self, dispatcher: NotificationDispatcher) -> None:
        self._dispatcher = dispatcher

    async def publish(self, notification: Notification) -> None:
        await self._dispatcher.dispatch(notification)


class CallerLoopBus:
    """Publishes on the loop that owns the senders and the Redis asyncio client.

    A message turn runs off the event loop (bot/storage/turns.py). What it publishes
    (a relay to the referent, a new ticket's announcement) is handed to the caller's
    loop once the turn's unit of work has committed, without waiting for the delivery:
    the referent never hears of a ticket that was rolled back, and the turn never waits
    for a loop that may itself be waiting for the database.
    """

    def __init__(self, inner: NotificationBus) -> None:
        self._inner = inner

    async def publish(self, notification: Notification) -> None:
        caller = caller_loop()
        if caller is None or caller is asyncio.get_running_loop():
            await self._inner.publish(notification)
            return
        after_commit(lambda: _submit(caller, self._inner.publish(notification)))


def _submit(loop: asyncio.AbstractEventLoop, coroutine) -> None:
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    future.add_done_callback(_log_failure)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("handoff notification failed: %s", type(future.exception()).__name__)


class RedisBus:
    """``client``: a redis.asyncio client."""

    def __init__(self, client: Any, key: str = REDIS_KEY) -> None:
        self._client = client
        self._key = key

    def key_for(self, channel: str) -> str:
        return f"{self._key}:{channel}"

    async def publish(self, notification: Notification) -> None:
        await self._client.rpush(self.key_for(notification.channel), notification.to_json())

    async def pop(self, channels: Iterable[str], timeout: float = 1.0) -> Notification | None:
        keys = [self.key_for(c) for c in channels]
        if not keys:
            await asyncio.sleep(timeout)
            return None
        found = await self._client.blpop(keys, timeout=timeout)
        if found is None:
            return None
        _key, raw = found
        try:
            return Notification.from_json(raw)
        except (ValueError, KeyError, TypeError, IndexError):
            log.error("handoff: malformed notification dropped")
            return None


class RedisConsumer:
    """Delivers what any worker published, for the channels this process can send on."""

    def __init__(self, bus: RedisBus, dispatcher: NotificationDispatcher, channels: Any) -> None:
        self._bus = bus
        self._dispatcher = dispatcher
        # A callable so channels registered after start-up are picked up.
        self._channels = channels if callable(channels) else (lambda: tuple(channels))
        self._task: asyncio.Task | None = None

    async def run_once(self, timeout: float = 1.0) -> bool:
        notification = await self._bus.pop(self._channels(), timeout)
        if notification is None:
            return False
        await self._dispatcher.dispatch(notification)
        return True

    async def run(self, timeout: float = 1.0) -> None:
        while True:
            try:
                await self.run_once(timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis hiccup: wait a little, keep consuming
                log.warning("handoff notification consumer: %s", type(exc).__name__)
                await asyncio.sleep(1.0)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="handoff-notify-consumer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
