"""Sends a registered referent's Telegram messages to the console, everyone else's to the bot."""
from __future__ import annotations

import logging

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

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        if message.channel == REFERENT_CHANNEL:
            referent = self._referents.by_telegram_id(message.user_id)
            if referent is not None:
                try:
                    return await self._console.handle(referent, message)
                except Exception as exc:
                    log.exception("referent console failed (%s)", type(exc).__name__)
                    return [Reply(user_message_for(exc))]
        return await self._core.handle(message)
