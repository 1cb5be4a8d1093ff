"""The ConversationGate: while a referent handles a young person, the bot stays silent.

- ASSIGNED ticket: every message is relayed to the referent and the bot answers nothing.
- WAITING ticket: the bot keeps answering (the young person can keep searching meanwhile);
  « annuler » withdraws the request. Their place was given when they asked (talk_to_human).
- Either state: « annuler » cancels and hands the chat back to the bot; STOP closes the
  request (not an urgent one) and then lets the bot handle STOP as usual (unsubscribe).
- Rating buttons sent by /terminer are handled here, with or without an open ticket.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.core.messages import IncomingMessage, MessageKind, Reply
from bot.core.policy import is_stop
from bot.handoff.service import RATE_PAYLOAD, HandoffService, relay_key
from bot.handoff.texts import HandoffTexts
from bot.storage.records import PersonRecord

CANCEL_WORDS = frozenset({"annuler", "annule", "annulez", "annulation", "annul", "cancel"})
CANCEL_PAYLOAD = "/handoff_cancel"
# How channels spell "stop": Telegram's /stop command arrives as this payload.
STOP_PAYLOADS = frozenset({"/unsubscribe_alerts"})
MAX_SHORT_WORDS = 3  # "annule stp" cancels; a long sentence mentioning "annuler" is relayed


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z]+", plain.replace("j'", " "))


def parse_rating(payload: str | None) -> tuple[int, int] | None:
    if not payload or not payload.startswith(RATE_PAYLOAD + " "):
        return None
    parts = payload.split()
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in {"1", "2", "3", "4", "5"}:
        return None
    return int(parts[1]), int(parts[2])


class HandoffGate:
    """``lets_through``: messages the bot must answer even while a referent holds the chat
    (a young person asking what is stored about them, or to delete it)."""

    def __init__(
        self, service: HandoffService, texts: HandoffTexts,
        lets_through: Callable[[IncomingMessage], bool] | None = None,
    ) -> None:
        self._service = service
        self._texts = texts
        self._lets_through = lets_through or (lambda _message: False)

    async def intercept(self, person: PersonRecord, message: IncomingMessage) -> list[Reply] | None:
        payload = message.payload if message.kind is MessageKind.BUTTON else None
        rating = parse_rating(payload)
        if rating is not None:
            rated = self._service.rate(person, *rating)
            return [Reply(self._texts.rated if rated else self._texts.rated_already)]
        if payload is not None and payload.startswith(RATE_PAYLOAD):
            return [Reply(self._texts.rated_already)]

        ticket = self._service.handoffs.open_ticket_for(person.id)
        if ticket is None:
            return None
        words = _words(message.text) if message.kind is MessageKind.TEXT else []
        short = 0 < len(words) <= MAX_SHORT_WORDS
        if payload == CANCEL_PAYLOAD or (short and any(w in CANCEL_WORDS for w in words)):
            await self._service.cancel_by_person(ticket, person)
            return [Reply(self._texts.cancelled)]
        if payload in STOP_PAYLOADS or (short and words[0] == "stop") or is_stop(message.text or ""):
            # STOP unsubscribes; it does not close an urgent (distress) request ("annuler" does).
            if not ticket.urgent:
                await self._service.cancel_by_person(ticket, person, stopped=True)
            return None
        if message.media is not None:
            # A voice note or photo goes to the referent now, or as soon as one takes the ticket.
            if ticket.status == "assigned" and await self._service.relay_media_to_referent(
                ticket, person, message.media, once_key=relay_key(message)
            ):
                return []
            if self._service.keep_media(ticket, message.media):
                return [Reply(self._texts.media_kept)]
        if ticket.status != "assigned" or self._lets_through(message):
            return None
        if await self._service.relay_to_referent(ticket, person, message):
            return []
        return [Reply(self._texts.transferred)]
