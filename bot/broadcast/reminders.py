""""Me le rappeler": one reminder per person and event, the day before at 09:00 local."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.broadcast.engine import DeliveryEngine
from bot.broadcast.errors import BroadcastRefused
from bot.broadcast.localtime import local_date, reminder_due
from bot.broadcast.ports import Outgoing
from bot.broadcast.texts import french_date, reminder_message
from bot.catalogue.model import Event
from bot.storage.base import utcnow
from bot.storage.campaigns import CampaignRepository, ReminderRecord

REASON_EVENT_GONE = "événement retiré ou déjà passé"


class Reminders:
    """Books reminders (the actions need only that) and, with an engine, sends them when due."""

    def __init__(
        self,
        repo: CampaignRepository,
        engine: DeliveryEngine | None,
        events: Sequence[Event],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._repo = repo
        self._engine = engine
        self._events = {e.id: e for e in events}
        self._clock = clock

    def booked_for(self, person_id: int) -> int:
        """Reminders still to send to the person."""
        return sum(1 for r in self._repo.reminders_for(person_id) if r.status == "queued")

    def request(self, person_id: int, event_id: str) -> ReminderRecord:
        """Book the reminder (idempotent). Refused for an unknown or past event, or one happening today."""
        event = self._events.get((event_id or "").strip())
        if event is None:
            raise BroadcastRefused("Je ne trouve pas cet événement.")
        today = local_date(self._clock(), event.territoire)
        if event.date <= today:
            raise BroadcastRefused(
                f"« {event.titre} » a lieu le {french_date(event.date)} : trop tard pour un rappel."
            )
        # Asked after 09:00 the day before: remind at once rather than never.
        due = max(reminder_due(event.date, event.territoire), self._clock())
        return self._repo.add_reminder(person_id, event.id, due)

    def _message_for(self, reminder: ReminderRecord) -> Outgoing | str:
        event = self._events.get(reminder.event_id)
        if event is None or event.date < local_date(self._clock(), event.territoire):
            return REASON_EVENT_GONE
        return reminder_message(event)

    async def send_due(self, *, stop=None) -> int:
        """Send the reminders that are due; each at most once. Returns how many were handled."""
        if self._engine is None:
            raise RuntimeError("these Reminders only book reminders (no delivery engine)")
        return await self._engine.deliver_reminders(self._message_for, stop=stop)
