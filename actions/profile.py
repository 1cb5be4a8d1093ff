"""What a young person says about themself: « j'ai 15 ans », « j'ai arrêté l'école en CM2 »,
« je suis en fauteuil », « j'ai pas de papiers », « c'est pour mon fils ».

Each gets a plain, honest answer for the person's territory; age, school level and
wheelchair are remembered (slot ``profile``) and shape the next searches.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button
from actions.guidance import GuidanceMixin
from actions.payloads import intent_payload
from actions.profile_words import ProfileFacts
from actions.search import LocationMixin, in_territory, query_text

MAX_PARTS = 2  # one phone screen: the two most important answers
MAX_EXAMPLES = 3


class ActionInformProfile(LocationMixin, GuidanceMixin, TerraProAction):
    def name(self) -> str:
        return "action_inform_profile"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = query_text(tracker)
        remembered = tracker.get_slot(slots.PROFILE) or {}
        facts = self.services.profile.read(text) if text else ProfileFacts.of(remembered)
        profile = facts.remembered(remembered)
        events: list[dict[str, Any]] = [SlotSet(slots.PROFILE, profile)]
        territoire, learnt = self.territory(tracker)
        events += learnt
        filiere = self.entity(tracker, "filiere")
        if filiere and text:
            # « j'ai quitté l'école en CM2 et je veux faire de la soudure »: the search, shaped by the profile.
            if facts.level or facts.left_school:
                dispatcher.utter_message(text=_in(self.services.texts.guidance["profile"]["level"], self.language(tracker)))
            return events + [
                SlotSet(slots.RESUME, {"intent": "search_training", "entities": {"filiere": filiere}}),
                FollowupAction("action_search_training"),
            ]
        school = facts.level is not None or facts.left_school or facts.no_brevet
        young = facts.under_age
        if territoire is None and (school or young):
            return events + self.ask_territory(dispatcher, tracker, "inform_profile")
        parts = self.answers(tracker, facts, territoire, profile, school=school, young=young)
        if not parts:
            parts = [self.text("profile_noted", tracker)]
        buttons = [self.referent_button(tracker)]
        filiere = tracker.get_slot(slots.FILIERE)
        if filiere:
            buttons.insert(0, button(self.text("profile_search_again", tracker), intent_payload("search_training", filiere=filiere)))
        else:
            buttons.insert(0, button(self.text("menu_find", tracker), intent_payload("search_training")))
        dispatcher.utter_message(text="\n".join(parts[:MAX_PARTS]), buttons=buttons)
        return events + [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]

    def answers(
        self, tracker: Tracker, facts: ProfileFacts, territoire: str | None, profile: dict[str, Any], *,
        school: bool, young: bool,
    ) -> list[str]:
        """The answers, most important first."""
        said = self.services.texts.guidance["profile"]
        language = self.language(tracker)
        parts = []
        if facts.no_papers:
            parts.append(_in(said["no_papers"], language))
        if facts.wheelchair:
            parts.append(_in(said["wheelchair"], language))
        if young and territoire:
            parts.append(self.topic_text(tracker, "under_16", territoire))
        if school and territoire:
            if facts.no_brevet and not facts.left_school:
                parts.append(said["no_brevet"][territoire])
            else:
                parts.append(self.topic_text(tracker, "no_diploma", territoire) + self.open_examples(tracker, territoire, profile))
        if facts.for_whom:
            parts.append(_in(said["for_someone"], language).format(who=facts.for_whom))
        return parts

    def open_examples(self, tracker: Tracker, territoire: str, profile: dict[str, Any]) -> str:
        """Bignona: real courses of the catalogue open to the person's level (Savoie's answer names its services)."""
        if territoire != "bignona":
            return ""
        courses = [
            c for c in in_territory(list(self.services.catalogue.courses), territoire)
            if self.services.profile.open_to(c.acces, {**profile, "niveau": profile.get("niveau") or "aucun"})
        ]
        seen: list[str] = []
        lines = []
        for course in courses:
            if course.filiere in seen:
                continue
            seen.append(course.filiere)
            lines.append(self.text("guidance_course", tracker, formation=course.formation, centre=course.centre))
            if len(lines) == MAX_EXAMPLES:
                break
        return "".join("\n" + line for line in lines)


def _in(entry: dict[str, str], language: str) -> str:
    return entry.get(language) or entry["fr"]
