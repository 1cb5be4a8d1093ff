"""The outbound port: how anything reaches a person on a channel.

One interface, ``send(channel, external_id, reply, lane) -> SendResult``, implemented
once per channel (bot/channels/telegram/port.py, bot/channels/whatsapp/port.py) and
used by conversation replies, referent relays, hand-off notices and broadcasts alike.
A channel's port owns that channel's rate limiter: ``Lane.PRIORITY`` (replies, relays)
goes before ``Lane.BULK`` (broadcasts, reminders), and only the bulk lane is paused by
a platform 429. A port never raises for a delivery problem: it returns a ``SendResult``.
The one exception is ``SendNotAttempted``: the process is stopping and the send could not
even be paced, so nothing left; the caller keeps the work as it would after a crash.

Whether a failed send may have reached the platform matters to whoever keeps durable
delivery state (broadcasts): ``NOT_SENT`` means the request never left (connection
refused, connect timeout, no free connection) and may be sent again without risk of a
duplicate; ``UNCERTAIN`` means it was written to the network and no answer came back,
so the person may have it. ``on_write``, when given, is awaited once, after the rate
limiter granted the slot and right before the first request is written: the caller
records "maybe delivered from now on" there; if it raises, nothing is sent.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.core.errors import ServiceUnavailable
from bot.core.messages import Reply

log = logging.getLogger(__name__)


class Lane(str, Enum):
    PRIORITY = "priority"
    BULK = "bulk"


class SendStatus(str, Enum):
    SENT = "sent"
    # The platform said "too many requests" on the bulk lane: nothing was delivered,
    # try again after ``retry_after`` seconds (the lane is paused meanwhile).
    RETRY_LATER = "retry_later"
    # Blocked the bot / number gone: the person is marked unreachable.
    UNREACHABLE = "unreachable"
    # WhatsApp: outside the 24-hour window and no template may be sent instead.
    WINDOW_CLOSED = "window_closed"
    # Gave up: bad request, retries exhausted, channel missing; ``reason`` says why.
    FAILED = "failed"
    # The request never left (connection refused, connect timeout): nothing was
    # delivered, sending again later cannot make a duplicate.
    NOT_SENT = "not_sent"
    # Written to the network, no answer (read timeout, connection lost): maybe delivered.
    UNCERTAIN = "uncertain"


# Awaited right before the first request of a send is written to the network.
WriteHook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    reason: str | None = None
    retry_after: float | None = None
    # The platform's id of the last message sent (the one carrying the buttons), if any.
    message_ref: str | None = None

    @property
    def sent(self) -> bool:
        return self.status is SendStatus.SENT

    @classmethod
    def ok(cls, message_ref: str | None = None) -> SendResult:
        return cls(SendStatus.SENT, message_ref=message_ref)

    @classmethod
    def retry_later(cls, seconds: float) -> SendResult:
        return cls(SendStatus.RETRY_LATER, retry_after=max(0.0, float(seconds)))

    @classmethod
    def unreachable(cls, reason: str) -> SendResult:
        return cls(SendStatus.UNREACHABLE, reason)

    @classmethod
    def window_closed(cls, reason: str) -> SendResult:
        return cls(SendStatus.WINDOW_CLOSED, reason)

    @classmethod
    def failed(cls, reason: str) -> SendResult:
        return cls(SendStatus.FAILED, reason)

    @classmethod
    def not_sent(cls, reason: str) -> SendResult:
        return cls(SendStatus.NOT_SENT, reason)

    @classmethod
    def uncertain(cls, reason: str) -> SendResult:
        return cls(SendStatus.UNCERTAIN, reason)


def once(hook: WriteHook | None) -> WriteHook | None:
    """``hook`` awaited at most once however often the result is called (retries, chunks)."""
    if hook is None:
        return None
    called = False

    async def call() -> None:
        nonlocal called
        if not called:
            await hook()
            called = True

    return call


class SendNotAttempted(ServiceUnavailable):
    """Raised by a port when the process is shutting down and its shared rate limiter cannot be
    reached: nothing was sent (a send is never made unpaced)."""


class OutboundPort(Protocol):
    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None, on_write: WriteHook | None = None,
    ) -> SendResult:
        """Deliver ``reply``; ``on_write`` is awaited once before anything is written (see above).

        ``replying_to``: when this answers a received message, when that message was sent.
        WhatsApp counts its 24-hour window from it (the person's row may be gone by then:
        they asked to delete their data, and the confirmation must still reach them)."""
        ...

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        """Replace an earlier message; FAILED where the channel cannot edit."""
        ...


REASON_NO_CHANNEL = "canal non disponible"


class ChannelPorts:
    """The OutboundPort of the process: routes to the port of each enabled channel.

    Filled by the composition root once the channels are built.
    """

    def __init__(self) -> None:
        self._by_channel: dict[str, OutboundPort] = {}

    def register(self, channel: str, port: OutboundPort) -> None:
        self._by_channel[channel] = port

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._by_channel)

    def __contains__(self, channel: object) -> bool:
        return channel in self._by_channel

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None, on_write: WriteHook | None = None,
    ) -> SendResult:
        port = self._by_channel.get(channel)
        if port is None:
            log.warning("no outbound port for channel %s, message not sent", channel)
            return SendResult.failed(REASON_NO_CHANNEL)
        return await port.send(channel, external_id, reply, lane, replying_to=replying_to, on_write=on_write)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        port = self._by_channel.get(channel)
        if port is None:
            return SendResult.failed(REASON_NO_CHANNEL)
        return await port.edit(channel, external_id, message_ref, reply)
