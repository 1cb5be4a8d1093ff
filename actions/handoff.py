"""Asking for a human: a durable hand-off request in the queue."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction
from actions.territory import TerritoryMixin


class ActionTalkToHuman(TerritoryMixin, TerraProAction):
    def name(self) -> str:
        return "action_talk_to_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        person = self.person(tracker)
        handoffs = self.services.handoffs
        existing = handoffs.open_ticket_for(person.id)
        ticket = existing or handoffs.request(
            person.id,
            person.channel,
            tracker.get_slot(slots.BASSIN) or person.bassin,
            topic=self.topic(tracker),
            summary=self.summary(tracker),
        )
        position = handoffs.position_in_queue(ticket.id)
        key = "handoff_already" if existing else "handoff_requested"
        dispatcher.utter_message(text=self.text(key, tracker, position=position))
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]

    def topic(self, tracker: Tracker) -> dict[str, Any]:
        return {
            "last_intent": self.previous_intent(tracker),
            "filiere": tracker.get_slot(slots.FILIERE),
            "lieu": tracker.get_slot(slots.LIEU),
            # Routes the ticket to the referents of the person's territory when the bassin is unknown.
            "territoire": self.known_territory(tracker)[0],
        }

    def previous_intent(self, tracker: Tracker) -> str | None:
        intents = [e.get("parse_data", {}).get("intent", {}).get("name") for e in tracker.events if e.get("event") == "user"]
        earlier = [name for name in intents[:-1] if name]
        return earlier[-1] if earlier else None

    def summary(self, tracker: Tracker) -> str:
        """What the referent reads first: trade, place, what was shown. No contact details."""
        catalogue = self.services.catalogue
        parts = []
        filiere = tracker.get_slot(slots.FILIERE)
        if filiere:
            parts.append(f"Métier : {catalogue.filiere_label(filiere)}")
        if tracker.get_slot(slots.LIEU):
            parts.append(f"Lieu : {tracker.get_slot(slots.LIEU)}")
        shown = catalogue.by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "")
        if shown:
            parts.append(f"Dernière formation vue : {shown.formation} ({shown.centre})")
        if int(tracker.get_slot(slots.MISSES) or 0) >= 2:
            parts.append("Le bot n'a pas compris ses dernières questions.")
        return " · ".join(parts) or "Demande directe, sans recherche préalable."
