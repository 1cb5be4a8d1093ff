"""What the hand-off code needs from the outside: a way to reach people, a clock."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.messages import Reply

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SentRef:
    """Enough to edit a sent message later (None where the channel cannot edit)."""

    message_id: str | None


class Outbox(Protocol):
    async def send(self, channel: str, external_id: str, reply: Reply) -> SentRef | None:
        """None when nothing was delivered (blocked, outside a window, channel missing)."""
        ...

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> None: ...
