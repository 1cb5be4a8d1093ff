"""What a registered referent types on Telegram: queue commands, or a message for the young person.

Rule: one conversation at a time. Anything not starting with "/" goes to the young person
of the referent's current conversation, signed with the referent's first name.
"""
from __future__ import annotations

from bot.broadcast.compose import Broadcast
from bot.broadcast.composer import PAYLOAD as DIFFUSER
from bot.broadcast.composer import BroadcastComposer
from bot.core.messages import Button, IncomingMessage, MessageKind, Reply
from bot.handoff.service import TAKE_PAYLOAD, HandoffService, relay_key
from bot.handoff.texts import HandoffTexts
from bot.reports.digest import CoordinatorDigest
from bot.storage.referents import ReferentRecord

MAX_QUEUE_SHOWN = 10
# Telegram turns the bot's own menu commands into intent payloads before they get here.
HELP_ALIASES = {"aide", "help", "start", "greet", "unsubscribe_alerts"}


def _number(text: str) -> int | None:
    text = text.strip().lstrip("n°#").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


class ReferentConsole:
    def __init__(
        self, service: HandoffService, texts: HandoffTexts, composer: BroadcastComposer | None = None,
        digest: CoordinatorDigest | None = None,
    ) -> None:
        self._service = service
        self._texts = texts
        self._composer = composer
        self._digest = digest

    def enable_broadcasts(self, broadcast: Broadcast) -> None:
        """Called once the process has channel senders: admins may then use /diffuser."""
        if self._composer is not None:
            self._composer.broadcast = broadcast

    async def handle(self, referent: ReferentRecord, message: IncomingMessage) -> list[Reply]:
        if message.kind is MessageKind.BUTTON:
            raw = message.payload or ""
        elif message.kind is MessageKind.TEXT:
            raw = message.text or ""
        elif message.media is not None:
            return await self._service.relay_media_to_person(referent, message.media, once_key=relay_key(message))
        else:
            return [Reply(self._texts.only_text)]
        raw = raw.strip()
        if not raw:
            return [Reply(self._texts.help)]
        if self._composer is not None:
            # While an admin writes an announcement, their plain text is the announcement.
            if raw.startswith(DIFFUSER) or (not raw.startswith("/") and await self._composer.composing(referent.id)):
                return await self._composer.handle(referent, raw)
            if raw == "/annuler" and await self._composer.composing(referent.id):
                return await self._composer.cancel(referent.id)
        if not raw.startswith("/"):
            return await self._service.relay_to_person(referent, raw, once_key=relay_key(message))
        head, _, rest = raw[1:].partition(" ")
        name = head.split("@", 1)[0].split("{", 1)[0].casefold()
        name = name.replace("é", "e").replace("è", "e")
        rest = rest.strip()
        if name == "file":
            return [self._queue()]
        if name in ("stats", "questions") and self._digest is not None:
            if referent.role != "admin":
                return [self._digest.admin_only()]
            return [self._digest.stats() if name == "stats" else self._digest.questions()]
        if name == TAKE_PAYLOAD[1:]:
            if not rest:
                return await self._service.take_next(referent)
            number = _number(rest)
            return [Reply(self._texts.bad_number)] if number is None else await self._service.claim(referent, number)
        if name == "terminer":
            return await self._service.finish(referent, rest or None)
        if name == "transferer":
            number = _number(rest) if rest else None
            if rest and number is None:
                return [Reply(self._texts.bad_number)]
            return await self._service.transfer(referent, number)
        if name == "present":
            self._service.referents.set_present(referent.id, True)
            return [Reply(self._texts.present)]
        if name == "absent":
            self._service.referents.set_present(referent.id, False)
            return [Reply(self._texts.absent)]
        if name in HELP_ALIASES:
            return [Reply(self._texts.help)]
        return [Reply(self._texts.unknown_command)]

    def _queue(self) -> Reply:
        waiting = self._service.handoffs.waiting()
        if not waiting:
            return Reply(self._texts.queue_empty)
        shown = waiting[:MAX_QUEUE_SHOWN]
        lines = [self._texts.queue_head.format(count=len(waiting))]
        for ticket in shown:
            mark = self._service.safety.referent_text("file") + " " if ticket.urgent else ""
            lines.append(mark + self._texts.queue_line.format(
                id=ticket.id, bassin=ticket.bassin or self._texts.unknown_bassin, who=self._service.who(ticket),
                minutes=self._service.minutes_waiting(ticket), summary=ticket.summary[:120],
            ))
        buttons = tuple(Button(self._texts.take_button.format(id=t.id), f"{TAKE_PAYLOAD} {t.id}") for t in shown)
        return Reply("\n".join(lines), buttons)
