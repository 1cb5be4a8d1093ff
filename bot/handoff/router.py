"""Sends a registered referent's Telegram messages to the console, everyone else's to the bot."""
from __future__ import annotations

import logging

from bot.core.conversation import Settle
from bot.core.errors import user_message_for
from bot.core.messages import IncomingMessage, Reply
from bot.core.ports import MessageHandler
from bot.handoff.console import ReferentConsole
from bot.storage.referents import ReferentRepository

log = logging.getLogger(__name__)

REFERENT_CHANNEL = "telegram"


class RoutingHandler:
    def __init__(self, core: MessageHandler, console: ReferentConsole, referents: ReferentRepository) -> None:
        self._core = core
        self._console = console
        self._referents = referents

    async def handle(self, message: IncomingMessage, *, settle: Settle | None = None) -> list[Reply]:
        if message.channel == REFERENT_CHANNEL:
            referent = self._referents.by_telegram_id(message.user_id)
            if referent is not None:
                try:
                    replies = await self._console.handle(referent, message)
                except Exception as exc:
                    log.exception("referent console failed (%s)", type(exc).__name__)
                    replies = [Reply(user_message_for(exc))]
                if settle is not None:
                    # The console's own changes are already committed; relays it published
                    # carry keys derived from the inbox row, so a replay does not repeat them.
                    settle(replies)
                return replies
        return await self._core.handle(message, settle=settle)
