"""What recipients read (French), built from a campaign or an event."""
from __future__ import annotations

import json

from bot.broadcast.ports import Outgoing
from bot.catalogue.model import Event
from bot.core.messages import Button

REMIND_BUTTON = "Me le rappeler"
REMINDER_KEY = "rappel"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def french_date(day) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def reminder_payload(event_id: str) -> str:
    """Rasa-style payload the subscribe_alerts action reads (entity ``rappel``)."""
    return "/subscribe_alerts" + json.dumps({REMINDER_KEY: event_id}, ensure_ascii=False, separators=(",", ":"))


def remind_button(event: Event) -> Button:
    return Button(REMIND_BUTTON, reminder_payload(event.id))


def event_line(event: Event) -> str:
    when = french_date(event.date) + (f" à {event.heure}" if event.heure else "")
    return f"📅 {event.titre} — {when}, {event.lieu}"


def campaign_message(text: str, event: Event | None, *, can_remind: bool) -> Outgoing:
    body = text if event is None or event.titre in text else f"{text}\n\n{event_line(event)}"
    buttons = (remind_button(event),) if event is not None and can_remind else ()
    return Outgoing(text=body, buttons=buttons)


def reminder_message(event: Event) -> Outgoing:
    body = f"⏰ Rappel : c'est demain !\n{event_line(event)}"
    if event.description:
        body += f"\n{event.description}"
    return Outgoing(text=body)
