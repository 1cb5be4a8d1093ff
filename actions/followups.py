"""Follow-ups that keep the thread: answering about *that* course, choosing one of the results.

"That" course is the remembered one (slot ``shown_course``): the first result
shown, or the one the person chose ("le 2", "le deuxième", "celui de Baïla").
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button
from actions.payloads import intent_payload
from bot.catalogue.model import Course
from bot.core.french import capitalised, is_length_of_time, le

# Which course field answers which question (phrases.yml, section "aspects").
ASPECT_FIELDS = {
    "duration": "duree",
    "cost": "cout",
    "level": "acces",
    "certification": "certification",
    "contact": "contact",
    "where": "commune",
}


def last_courses(action: TerraProAction, tracker: Tracker) -> list[Course]:
    by_id = action.services.catalogue.by_id
    return [c for c in (by_id.get(i) for i in tracker.get_slot(slots.LAST_RESULTS) or []) if c]


def pick_result(
    courses: list[Course], *, rank: str | None = None, commune: str | None = None, centre: str | None = None
) -> Course | None:
    """One of the results: by its number in the list, or by its centre or its commune."""
    if rank == "last":
        return courses[-1] if courses else None
    if rank and rank.isdigit():
        index = int(rank) - 1
        return courses[index] if 0 <= index < len(courses) else None
    for course in courses:
        if centre and course.centre.casefold() == centre.casefold():
            return course
    for course in courses:
        if commune and course.commune.casefold() == commune.casefold():
            return course
    return None


class CourseFacts:
    """One fact about a course, in one short line, instead of the whole sheet."""

    def course_values(self: Any, tracker: Tracker, course: Course) -> dict[str, str]:
        return {
            "formation": course.formation, "centre": course.centre, "commune": course.commune,
            # « Pour joindre le CFP de Coubanao », « Le CFP de Coubanao est à Coubalan ».
            "le_centre": le(course.centre), "Le_centre": capitalised(le(course.centre)),
            "duree": course.duree, "cout": course.cout, "acces": self.plain(course.acces),
            "certification": self.plain(course.certification), "contact": self.plain(course.contact),
            "unconfirmed": "" if course.confirmed else self.text("course_unconfirmed", tracker),
        }

    def ask_which_course(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("details_ask", tracker), buttons=[
            button(self.text("menu_find", tracker), intent_payload("search_training")),
        ])
        return []

    def answer_aspect(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, course: Course, aspect: str
    ) -> list[dict[str, Any]]:
        values = self.course_values(tracker, course)
        if aspect in ("debouches", "salary"):  # the trades it leads to; never a salary figure
            filiere = self.services.catalogue.filiere_by_code.get(course.filiere)
            jobs = filiere.debouches if filiere else ()
            key = f"followup_{aspect}" if jobs else f"followup_{aspect}_none"
            text = self.text(key, tracker, debouches=", ".join(jobs), **values)
        elif aspect in ASPECT_FIELDS and not getattr(course, ASPECT_FIELDS[aspect]):
            text = self.text("followup_unknown", tracker, **values)
        elif aspect in ("duration", "cost") and not is_length_of_time(course.duree):
            text = self.text(f"followup_{aspect}_service", tracker, **values)  # « 1 rendez-vous »
        else:
            text = self.text(f"followup_{aspect}", tracker, **values)
        dispatcher.utter_message(text=text, buttons=[
            button(self.text("followup_all_button", tracker), intent_payload("training_details", course=course.id)),
            button(self.text("menu_open_days", tracker), intent_payload("open_days", centre=course.centre)),
            self.referent_button(tracker),
        ])
        return [SlotSet(slots.SHOWN_COURSE, course.id), SlotSet(slots.MISSES, 0)]

    def show_details(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, course: Course) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=self.text("details", tracker, **self.course_values(tracker, course)),
            buttons=[
                button(self.text("menu_open_days", tracker), intent_payload("open_days", centre=course.centre)),
                self.referent_button(tracker),
            ],
        )
        return [SlotSet(slots.SHOWN_COURSE, course.id), SlotSet(slots.FILIERE, course.filiere), SlotSet(slots.MISSES, 0)]


class ActionChooseResult(CourseFacts, TerraProAction):
    """"le 2", "le deuxième", "celui de Baïla": that result becomes "the" course, shown in full."""

    def name(self) -> str:
        return "action_choose_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        courses = last_courses(self, tracker)
        if not courses:
            return self.ask_which_course(dispatcher, tracker)
        text = (tracker.latest_message or {}).get("text") or ""
        chosen = pick_result(
            courses, rank=self.services.phrases.rank(text),
            commune=self.place_named(tracker), centre=self.entity(tracker, "centre"),
        )
        if chosen is None:
            dispatcher.utter_message(text=self.text("choose_which", tracker))
            return []
        return self.show_details(dispatcher, tracker, chosen)

    def place_named(self, tracker: Tracker) -> str | None:
        name = self.entity(tracker, "lieu")
        place = self.services.catalogue.place_of(name) if name else None
        return place.commune if place else name
