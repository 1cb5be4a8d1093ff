"""How the delivery engine reaches a person, whatever the channel.

A channel plugs in by implementing ``RecipientSender`` (see telegram.py and
whatsapp.py for adapters over the channels' own senders). The engine never
imports a channel.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.core.messages import Button


class SendStatus(str, Enum):
    SENT = "sent"
    # Blocked the bot / number gone: the person is marked unreachable.
    UNREACHABLE = "unreachable"
    # Gave up (bad request, retries exhausted).
    FAILED = "failed"
    # Deliberately not sent (e.g. WhatsApp window closed and no template); ``reason`` says why.
    SKIPPED = "skipped"
    # The platform said "too many requests": nothing was delivered, retry after ``retry_after`` s.
    RETRY_AFTER = "retry_after"


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    reason: str | None = None
    retry_after: float | None = None
    # False when nothing reached the platform: the rate limiter gives the slot back.
    attempted: bool = True

    @classmethod
    def sent(cls) -> SendResult:
        return cls(SendStatus.SENT)

    @classmethod
    def unreachable(cls, reason: str | None = None) -> SendResult:
        return cls(SendStatus.UNREACHABLE, reason)

    @classmethod
    def failed(cls, reason: str | None = None) -> SendResult:
        return cls(SendStatus.FAILED, reason)

    @classmethod
    def skipped(cls, reason: str, *, attempted: bool = False) -> SendResult:
        return cls(SendStatus.SKIPPED, reason, attempted=attempted)

    @classmethod
    def retry(cls, seconds: float) -> SendResult:
        return cls(SendStatus.RETRY_AFTER, retry_after=max(0.0, float(seconds)))


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to; ``last_inbound_at`` lets WhatsApp decide window vs template."""

    person_id: int
    channel: str
    external_id: str
    language: str = "fr"
    last_inbound_at: datetime | None = None


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: tuple[Button, ...] = ()
    # Values for the approved WhatsApp template's body parameters (outside the 24 h window).
    template_parameters: tuple[str, ...] = ()


class RecipientSender(Protocol):
    """One per channel. Must not raise for a delivery problem: return a SendResult."""

    async def send(self, recipient: Recipient, message: Outgoing) -> SendResult: ...
