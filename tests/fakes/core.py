"""A stand-in for the core as channels see it (``MessageHandler``): subclasses say what to answer."""
from __future__ import annotations

from bot.core.messages import IncomingMessage, Reply


class FakeCore:
    async def handle(self, message: IncomingMessage, *, settle=None) -> list[Reply]:
        # As the real core does: the replies are settled (queued) within the turn.
        replies = await self._answer(message)
        if settle is not None:
            settle(replies)
        return replies

    async def _answer(self, message: IncomingMessage) -> list[Reply]:
        raise NotImplementedError
