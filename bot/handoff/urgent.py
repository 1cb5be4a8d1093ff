"""The SafetyNet the core calls on a distress message: an urgent request, at once.

- No open request: a new urgent ticket, announced now to every present referent.
- A waiting request: flagged urgent (first in the queue) and announced again now, as urgent.
- A referent already talking with the person: they get the message flagged as urgent.
- Never a second ticket. The message is kept scrubbed on the ticket (deleted with it).
"""
from __future__ import annotations

from bot.core.distress import Detection
from bot.core.input import clean
from bot.core.safety import Alarm
from bot.handoff.service import HandoffService
from bot.storage.privacy import scrub
from bot.storage.records import PersonRecord, TicketRecord

ALARM_SUMMARY = "Message inquiétant, demande urgente créée par le bot."


class UrgentHandoff:
    def __init__(self, service: HandoffService) -> None:
        self._service = service

    async def raise_alarm(self, person: PersonRecord, trigger: str, detection: Detection) -> Alarm:
        service = self._service
        kept = scrub(clean(trigger).text)
        present = any(r.present for r in service.referents.all())
        ticket = service.handoffs.open_ticket_for(person.id)
        if ticket is None:
            ticket = service.handoffs.request(
                person.id, person.channel, person.bassin, {"distress": detection.family}, ALARM_SUMMARY,
                trigger=kept,
            )
            if ticket.urgent and ticket.trigger_text == kept:
                await service.announce(ticket)
                return Alarm(ticket.id, created=True, referents_present=present)
        return await self._escalate(ticket, kept, detection, present)

    async def _escalate(
        self, ticket: TicketRecord, kept: str, detection: Detection, present: bool
    ) -> Alarm:
        service = self._service
        was_urgent = ticket.urgent
        ticket = service.handoffs.mark_urgent(ticket.id, kept, detection.family) or ticket
        if ticket.status == "assigned" and ticket.referent_id is not None:
            referent = service.referents.get(ticket.referent_id)
            if referent is not None:
                await service.notify_referent(referent, service.safety.referent_text(
                    "en_cours", who=service.who(ticket), text=kept or "[message vide]",
                    family=service.safety.family_label(detection.family),
                ))
                return Alarm(ticket.id, created=False, referents_present=True, holder=referent.name)
        if not was_urgent and ticket.status == "waiting":
            # Was an ordinary request: everyone present hears about it now, as urgent.
            await service.announce_now(ticket)
        return Alarm(ticket.id, created=False, referents_present=present)

