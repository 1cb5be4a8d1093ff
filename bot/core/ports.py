"""Small interfaces the channels and the core depend on (implemented elsewhere)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.core.messages import IncomingMessage, Reply


class MessageHandler(Protocol):
    """The core as a channel sees it: one message in, the replies out."""

    async def handle(self, message: IncomingMessage) -> list[Reply]: ...


class PersonDirectory(Protocol):
    """What a channel may record about a person (no message text, ever)."""

    def mark_unreachable(self, channel: str, external_id: str) -> None: ...

    def touch_inbound(self, channel: str, external_id: str, at: datetime) -> None: ...

    def last_inbound(self, channel: str, external_id: str) -> datetime | None: ...


class DeliveryDedupe(Protocol):
    """Platforms deliver the same message more than once; handle it once."""

    def first_time(self, channel: str, message_id: str) -> bool: ...


class DurableInbox(Protocol):
    """Where a channel writes what it received before acknowledging it (bot.storage.queue)."""

    def accept(self, channel: str, dedupe_id: str, key: str, payload: dict[str, Any]) -> bool: ...

    def backlog(self) -> int: ...
