"""Plain guidance: choosing a trade, looking for work, starting an activity."""
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
from bot.catalogue import Place

SHORT_MONTHS = 6


class GuidanceMixin(TerritoryMixin):
    """Answers from content/guidance.yml, for the person's territory, with the catalogue's own entries."""

    def topic_text(
        self: Any, tracker: Tracker, topic: str, territoire: str, *, near: Place | None = None, **values: Any
    ) -> str:
        """``near``: where the person is; the services named are then nearest first."""
        entry = self.services.texts.guidance["topics"][topic]
        # Wolof only where the text is about Bignona (Wolof users live there).
        text = entry["wo"] if self.language(tracker) == "wo" and territoire == "bignona" and entry.get("wo") else entry[territoire]
        lines = [text.format(**values) if values else text]
        course_ids = (entry.get("centres") or {}).get(territoire, [])
        lines += [self.centre_line(tracker, course_id) for course_id in self.nearest_first(course_ids, near)]
        return "\n".join(line for line in lines if line)

    def nearest_first(self: Any, course_ids: list[str], near: Place | None) -> list[str]:
        """The content's order when we do not know where the person is, or for equal distances."""
        if near is None:
            return list(course_ids)
        search, by_id = self.services.search, self.services.catalogue.by_id

        def km(course_id: str) -> float:
            course = by_id.get(course_id)
            return search.distance_km(near, course.commune) if course else float("inf")

        return sorted(course_ids, key=km)

    def centre_line(self: Any, tracker: Tracker, course_id: str) -> str:
        course = self.services.catalogue.by_id.get(course_id)
        if course is None:  # the catalogue changed: say nothing rather than something false
            return ""
        return self.text("guidance_centre", tracker, centre_at=self.centre_at(tracker, course.centre, course.commune))

    def guidance(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, topic: str,
        buttons: list[dict[str, str]],
    ) -> list[dict[str, Any]]:
        where, events = self.locate(tracker)
        territoire = where.territoire
        if territoire is None:
            return events + self.ask_territory(dispatcher, tracker, intent)
        dispatcher.utter_message(text=self.topic_text(tracker, topic, territoire, near=where.place), buttons=buttons)
        return events + [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


class ActionOrientationHelp(LocationMixin, GuidanceMixin, TerraProAction):
    """Two simple questions with buttons, then filières to explore.

    The answers come back as payloads of the same intent
    (``/orientation_help{"activite": "nature"}``), so the same action walks
    through the questions whether it runs embedded or on a Rasa server.
    """

    def name(self) -> str:
        return "action_orientation_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        activities = {a["key"]: a for a in self.services.texts.guidance["orientation_activities"]}
        activity = self.entity(tracker, "activite") or None
        duration = self.entity(tracker, "duree")
        if activity not in activities:
            territoire, events = self.territory(tracker)
            if territoire is None:
                return events + self.ask_territory(dispatcher, tracker, "orientation_help")
            permanence = self.services.permanences.describe(tracker.get_slot(slots.BASSIN) or self.person(tracker).bassin)
            service = self.topic_text(
                tracker, "orientation", territoire,
                permanence=permanence or "",
            )
            dispatcher.utter_message(
                text=service + "\n" + self.text("orientation_q_activity", tracker),
                buttons=[button(a["label"], intent_payload("orientation_help", activite=k)) for k, a in activities.items()],
            )
            return events + [SlotSet(slots.PENDING, "orientation")]
        if duration is None:
            dispatcher.utter_message(
                text=self.text("orientation_q_duration", tracker),
                buttons=[
                    button(self.text(f"orientation_{d}", tracker), intent_payload("orientation_help", activite=activity, duree=d))
                    for d in ("short", "long", "any")
                ],
            )
            return [SlotSet(slots.PENDING, "orientation")]
        codes = self.rank_filieres(activities[activity]["filieres"], duration, tracker.get_slot(slots.TERRITOIRE))
        catalogue = self.services.catalogue
        labels = [catalogue.filiere_label(code) for code in codes]
        dispatcher.utter_message(
            text=self.text("orientation_suggest", tracker, filieres=", ".join(labels)),
            buttons=[button(catalogue.filiere_label(code), intent_payload("search_training", filiere=code)) for code in codes]
            + [self.referent_button(tracker)],
        )
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]

    def rank_filieres(self, candidates: list[str], duration: str, territoire: str | None) -> list[str]:
        """Keep filières taught in the catalogue (in the person's territory when known), matching the duration wish."""
        courses = [c for c in self.services.catalogue.courses if not territoire or c.territoire == territoire]
        taught = [code for code in candidates if any(c.filiere == code for c in courses)]
        if duration in ("short", "long"):
            fitting = [code for code in taught if any(
                c.filiere == code and _is_short(c.duree) == (duration == "short") for c in courses
            )]
            taught = fitting or taught
        return taught[:3] or candidates[:3]


def _is_short(duree: str) -> bool:
    """"6 mois" or less is short; years, or more than 6 months, are long."""
    words = duree.lower().split()
    if not words or not words[0].isdigit():
        return True
    return "mois" in words and int(words[0]) <= SHORT_MONTHS


class ActionJobSearch(LocationMixin, GuidanceMixin, TerraProAction):
    def name(self) -> str:
        return "action_job_search"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        filiere = self.entity(tracker, "filiere")
        if not filiere:
            return self.guidance(dispatcher, tracker, "job_search", "job_search", [
                button(self.text("menu_find", tracker), intent_payload("search_training")),
                self.referent_button(tracker),
            ])
        # « un apprentissage en mécanique »: the trade was said; it leads the answer.
        where, events = self.locate(tracker)
        territoire = where.territoire
        if territoire is None:
            return events + self.ask_territory(dispatcher, tracker, "job_search", {"filiere": filiere})
        catalogue = self.services.catalogue
        label = catalogue.filiere_label(filiere)
        taught = any(c.filiere == filiere and c.territoire == territoire for c in catalogue.courses)
        lead = self.text(
            "job_trade_taught" if taught else "job_trade_not_taught", tracker,
            filiere=label, territoire=self.in_territory_words(territoire),
        )
        buttons = [button(label, intent_payload("search_training", filiere=filiere))] if taught else []
        dispatcher.utter_message(
            text=lead + "\n" + self.topic_text(tracker, "job_search", territoire, near=where.place),
            buttons=buttons + [self.referent_button(tracker)],
        )
        # The trade is now the thread: « c payant ? » is about its nearest course, not one shown before.
        return events + [
            SlotSet(slots.FILIERE, filiere), SlotSet(slots.SHOWN_COURSE, None),
            SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0),
        ]


class ActionEntrepreneurship(LocationMixin, GuidanceMixin, TerraProAction):
    def name(self) -> str:
        return "action_entrepreneurship"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return self.guidance(dispatcher, tracker, "entrepreneurship", "entrepreneurship", [
            button(self.services.catalogue.filiere_label("entrepreneuriat"), intent_payload("search_training", filiere="entrepreneuriat")),
            self.referent_button(tracker),
        ])
