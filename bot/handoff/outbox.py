"""Outbox adapters over the channels' senders, and the router the composition root fills."""
from __future__ import annotations

import logging
from typing import Any

from bot.core.messages import Reply
from bot.handoff.ports import Outbox, SentRef

log = logging.getLogger(__name__)


class TelegramOutbox:
    """Over bot.channels.telegram.TelegramSender (duck-typed: no telegram import here)."""

    def __init__(self, sender: Any) -> None:
        self._sender = sender

    async def send(self, channel: str, external_id: str, reply: Reply) -> SentRef | None:
        outcome, message_id = await self._sender.send_with_id(external_id, reply)
        if getattr(outcome, "value", outcome) != "sent":
            return None
        return SentRef(str(message_id) if message_id is not None else None)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> None:
        await self._sender.edit_text(external_id, message_ref, reply)


class WhatsAppOutbox:
    """Over bot.channels.whatsapp.WhatsAppSender. WhatsApp cannot edit a sent message."""

    def __init__(self, sender: Any) -> None:
        self._sender = sender

    async def send(self, channel: str, external_id: str, reply: Reply) -> SentRef | None:
        outcome = await self._sender.send(external_id, reply)
        return SentRef(None) if getattr(outcome, "value", outcome) == "sent" else None

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> None:
        return None


class ChannelOutbox:
    """Routes by channel. Filled after the channels are built (they need the handler first)."""

    def __init__(self) -> None:
        self._by_channel: dict[str, Outbox] = {}

    def register(self, channel: str, outbox: Outbox) -> None:
        self._by_channel[channel] = outbox

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._by_channel)

    async def send(self, channel: str, external_id: str, reply: Reply) -> SentRef | None:
        outbox = self._by_channel.get(channel)
        if outbox is None:
            log.warning("handoff: no outbox for channel %s, message dropped", channel)
            return None
        return await outbox.send(channel, external_id, reply)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> None:
        outbox = self._by_channel.get(channel)
        if outbox is not None:
            await outbox.edit(channel, external_id, message_ref, reply)
