"""Open days and the choice to receive announcements (sending is the broadcasts' job)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button
from actions.payloads import intent_payload
from actions.search import LocationMixin
from actions.territory import TerritoryMixin
from bot.broadcast.errors import BroadcastRefused
from bot.broadcast.texts import REMINDER_KEY, french_date, reminder_payload
from bot.catalogue.loader import upcoming_events

MAX_EVENTS = 4
MAX_REMINDER_BUTTONS = 3
MAX_BASSIN_BUTTONS = 4
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def reminder_title(day) -> str:
    """« Me le rappeler » with the day, since several events are listed; fits a WhatsApp list row (≤ 24)."""
    return f"Me le rappeler : {day.day} {SHORT_MONTHS[day.month - 1]}"


class ActionOpenDays(LocationMixin, TerritoryMixin, TerraProAction):
    def name(self) -> str:
        return "action_open_days"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        territoire, learnt = self.territory(tracker)
        if territoire is None:
            return self.ask_territory(dispatcher, tracker, "open_days")
        bassin = tracker.get_slot(slots.BASSIN)
        for event in learnt:
            if event.get("name") == slots.BASSIN:
                bassin = event.get("value")
        shown = self.list_events(dispatcher, tracker, territoire, bassin)
        return learnt + shown

    def list_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, territoire: str, bassin: str | None
    ) -> list[dict[str, Any]]:
        events = upcoming_events(self.services.events, self.services.today(), territoire=territoire)
        # The person's bassin first, then the rest of the territory, each by date.
        events.sort(key=lambda e: (0 if bassin and e.bassin == bassin else 1, e.date))
        subscribe = button(self.text("open_days_subscribe_button", tracker), intent_payload("subscribe_alerts"))
        if not events:
            dispatcher.utter_message(text=self.text("open_days_none", tracker), buttons=[subscribe])
            return [SlotSet(slots.PENDING, None)]
        lines = [self.text("open_days_intro", tracker)]
        for event in events[:MAX_EVENTS]:
            lines.append(self.text("open_days_line", tracker, date=french_date(event.date), heure=event.heure,
                                   titre=event.titre, lieu=event.lieu))
        reminders = [
            button(reminder_title(event.date), reminder_payload(event.id)) for event in events[:MAX_REMINDER_BUTTONS]
        ]
        dispatcher.utter_message(text="\n".join(lines), buttons=[*reminders, subscribe, self.referent_button(tracker)])
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


class ActionSubscribeAlerts(TerritoryMixin, TerraProAction):
    """Subscribes at once to the territory's announcements, then offers to narrow."""

    def name(self) -> str:
        return "action_subscribe_alerts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        person = self.person(tracker)
        subscriptions = self.services.subscriptions
        catalogue = self.services.catalogue
        event_id = self.entity(tracker, REMINDER_KEY)
        narrow_filiere = self.entity(tracker, "filiere")
        narrow_bassin = self.entity(tracker, "bassin_choice")
        existing = subscriptions.get(person.id)
        territoire, learnt = self.known_territory(tracker)
        if territoire is None and existing is None:
            return self.ask_territory(dispatcher, tracker, "subscribe_alerts", {REMINDER_KEY: event_id})
        territoire = territoire or existing.territoire
        if existing and (narrow_filiere or narrow_bassin):
            subscriptions.narrow(person.id, bassin=narrow_bassin, filiere=narrow_filiere)
            what = " ".join(filter(None, [
                catalogue.filiere_label(narrow_filiere) if narrow_filiere else None,
                self.text("subscribed_zone", tracker, bassin=narrow_bassin) if narrow_bassin else None,
            ]))
            dispatcher.utter_message(text=self.text("subscribed_narrow_done", tracker, what=what))
            return [SlotSet(slots.PENDING, None)]
        if existing is None:
            subscriptions.subscribe(person.id, territoire)
        if event_id:
            return self.book_reminder(dispatcher, tracker, person.id, event_id)
        label = self.services.texts.get(f"territoire_{territoire}")
        buttons = [button(self.text("subscribe_all_button", tracker), intent_payload("thank"))]
        filiere = tracker.get_slot(slots.FILIERE)
        if filiere:
            buttons.append(button(catalogue.filiere_label(filiere), intent_payload("subscribe_alerts", filiere=filiere)))
        bassin = tracker.get_slot(slots.BASSIN) or person.bassin
        # Narrow to the person's bassin when known, else offer the territory's bassins.
        bassins = [bassin] if bassin else sorted({p.bassin for p in catalogue.places if p.territoire == territoire})
        for choice in bassins[:MAX_BASSIN_BUTTONS]:
            buttons.append(button(choice, intent_payload("subscribe_alerts", bassin_choice=choice)))
        dispatcher.utter_message(text=self.text("subscribed", tracker, territoire=label), buttons=buttons)
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


    def book_reminder(self, dispatcher: CollectingDispatcher, tracker: Tracker, person_id: int, event_id: str) -> list[dict[str, Any]]:
        """A reminder needs the subscription at sending time, so STOP cancels it too."""
        try:
            self.services.reminders.request(person_id, event_id)
        except BroadcastRefused as refused:
            dispatcher.utter_message(text=refused.user_message, buttons=self.menu_buttons(tracker))
            return [SlotSet(slots.PENDING, None)]
        event = next(e for e in self.services.events if e.id == event_id)
        dispatcher.utter_message(text=self.text("reminder_booked", tracker, titre=event.titre, date=french_date(event.date)))
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


class ActionUnsubscribeAlerts(TerraProAction):
    def name(self) -> str:
        return "action_unsubscribe_alerts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        person = self.person(tracker)
        removed = self.services.subscriptions.unsubscribe(person.id)
        dispatcher.utter_message(text=self.text("unsubscribed" if removed else "not_subscribed", tracker))
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]
