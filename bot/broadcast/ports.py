"""What a broadcast sends; how it reaches people is the channels' outbound port (bot.core.outbound)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.messages import Button, Reply


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: tuple[Button, ...] = ()

    def reply(self) -> Reply:
        return Reply(self.text, tuple(self.buttons))
