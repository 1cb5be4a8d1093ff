"""The answer to « Bignona ou Savoie ? », and a change of place (« en fait j'habite à Aix »)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction
from actions.search import LocationMixin
from actions.territory import TerritoryMixin
from bot.catalogue.model import TERRITORIES
from bot.core.policy import INTENT_ACTIONS


class ActionInformLocation(LocationMixin, TerritoryMixin, TerraProAction):
    """« Je suis à Chambéry maintenant », « en fait j'habite à Aix », or the Bignona / Savoie button."""

    def name(self) -> str:
        return "action_inform_location"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        before = tracker.get_slot(slots.TERRITOIRE) or self.person(tracker).territoire
        chosen = self.entity(tracker, "territoire")
        events: list[dict[str, Any]] = []
        place = None
        if chosen in TERRITORIES:
            events = [SlotSet(slots.TERRITOIRE, chosen)]
            if chosen != before:  # a commune of the other country no longer applies
                self.services.persons.update(self.person(tracker).id, territoire=chosen, bassin=None)
                events += [SlotSet(slots.LIEU, None), SlotSet(slots.BASSIN, None)]
        else:
            where, events = self.resolve_where(tracker)
            chosen, place = where.territoire, where.place
        if chosen not in TERRITORIES:
            resume = tracker.get_slot(slots.RESUME) or {}
            return self.ask_territory(dispatcher, tracker, resume.get("intent") or "help", resume.get("entities"))
        if chosen != before:
            events += self.forget_the_other_territory(tracker, chosen)
        resume = tracker.get_slot(slots.RESUME)
        if chosen != before or resume or not tracker.get_slot(slots.FILIERE):
            where_words = place.commune if place else self.territory_label(chosen)
            dispatcher.utter_message(text=self.text("territory_noted", tracker, where=where_words))
        events += [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]
        if resume and resume.get("intent"):
            return events + [FollowupAction(INTENT_ACTIONS.get(resume["intent"], "action_help"))]
        if tracker.get_slot(slots.FILIERE) and (chosen != before or place is not None):
            # A new place with a trade in mind (« et à Baïla ? », « je suis à Aix maintenant »): show it there.
            return events + [
                SlotSet(slots.RESUME, {"intent": "search_training", "entities": {"filiere": tracker.get_slot(slots.FILIERE)}}),
                FollowupAction("action_search_training"),
            ]
        dispatcher.utter_message(text=self.text("ok_noted", tracker), buttons=self.menu_buttons(tracker))
        return events

    def forget_the_other_territory(self, tracker: Tracker, chosen: str) -> list[dict[str, Any]]:
        """What was shown in the other territory must not be pointed to by a follow-up; what was
        shown in this one (before we knew where the person lives) still is « that » course."""
        by_id = self.services.catalogue.by_id
        shown = by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "")
        if shown is not None and shown.territoire == chosen:
            return []
        return [SlotSet(slots.LAST_RESULTS, None), SlotSet(slots.SHOWN_COURSE, None), SlotSet(slots.RESULTS_SHOWN, 0)]
