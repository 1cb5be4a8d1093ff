"""Finding courses: search, more results, details ("c'est combien ?") and centre info."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button, record_unanswered
from actions.followups import CourseFacts, last_courses, pick_result
from actions.payloads import intent_payload
from bot.catalogue.model import Course, Place

PAGE = 3
KEPT_RESULTS = 12


def query_text(tracker: Tracker) -> str:
    """The words typed, or nothing when the message is a button payload."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


@dataclass(frozen=True)
class Where:
    """Where to look: a commune (with its bassin and territory) or only a territory."""

    place: Place | None = None
    territoire: str | None = None
    named: bool = False  # said in this very message ("et à Baïla ?", "et en Savoie ?")


class LocationMixin:
    """Where the young person is: from this message, else remembered."""

    def resolve_where(self: Any, tracker: Tracker) -> tuple[Where, list[dict[str, Any]]]:
        catalogue = self.services.catalogue
        name = self.entity(tracker, "lieu")
        text = query_text(tracker)
        analysis = self.services.search.analyse(text) if text else None
        place = None
        if name:
            place = catalogue.place_of(name) or _place_of_bassin(catalogue.places, name)
        if place is None and analysis is not None:
            place = analysis.place or (_place_of_bassin(catalogue.places, analysis.bassin) if analysis.bassin else None)
        if place is not None:
            person = self.person(tracker)
            self.services.persons.update(person.id, territoire=place.territoire, bassin=place.bassin)
            return Where(place, place.territoire, named=True), [
                SlotSet(slots.LIEU, place.commune),
                SlotSet(slots.BASSIN, place.bassin),
                SlotSet(slots.TERRITOIRE, place.territoire),
            ]
        if analysis is not None and analysis.territoire:
            # A territory alone ("et en Savoie ?"): the remembered commune no longer applies.
            self.services.persons.update(self.person(tracker).id, territoire=analysis.territoire, bassin=None)
            return Where(None, analysis.territoire, named=True), [
                SlotSet(slots.LIEU, None),
                SlotSet(slots.BASSIN, None),
                SlotSet(slots.TERRITOIRE, analysis.territoire),
            ]
        remembered = catalogue.place_of(tracker.get_slot(slots.LIEU) or "")
        return Where(remembered, remembered.territoire if remembered else tracker.get_slot(slots.TERRITOIRE)), []


def _place_of_bassin(places: tuple[Place, ...], name: str) -> Place | None:
    wanted = name.casefold()
    return next((p for p in places if p.bassin.casefold() == wanted), None)


def in_territory_first(courses: list[Course], territoire: str | None) -> list[Course]:
    """A young person in Bignona does not want Chambéry's courses, unless nothing else exists."""
    if not territoire:
        return courses
    local = [c for c in courses if c.territoire == territoire]
    return local or courses


class CourseFormatting:
    def course_lines(self: Any, tracker: Tracker, courses: list[Course], start: int) -> str:
        lines = []
        for n, course in enumerate(courses, start=start + 1):
            lines.append(self.text(
                "course_line", tracker, n=n, formation=course.formation, centre=course.centre,
                commune=course.commune, duree=course.duree, cout=course.cout, acces=course.acces,
                contact=course.contact,
                unconfirmed="" if course.confirmed else self.text("course_unconfirmed", tracker),
            ))
        return "\n".join(lines)

    def results_buttons(self: Any, tracker: Tracker, has_more: bool) -> list[dict[str, str]]:
        buttons = []
        if has_more:
            buttons.append(button(self.text("results_more_button", tracker), intent_payload("search_training", page="next")))
        buttons.append(button(self.text("results_details_button", tracker), intent_payload("training_details")))
        buttons.append(self.referent_button(tracker))
        return buttons


class ActionSearchTraining(LocationMixin, CourseFormatting, TerraProAction):
    def name(self) -> str:
        return "action_search_training"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        if self.entity(tracker, "page") == "next":
            return self.more(dispatcher, tracker)
        where, events = self.resolve_where(tracker)
        place = where.place
        filiere = self.entity(tracker, "filiere")
        centre = self.entity(tracker, "centre")
        text = query_text(tracker)
        wanted = (tracker.latest_message or {}).get("wanted_filiere")
        if wanted:
            # A long message: search the trade the person wants, not every trade of their story.
            filiere, text = wanted, ""
        if not filiere and not centre and (where.named or not text):
            # "et à Baïla ?" or a bare menu button: keep the trade already chosen.
            filiere = tracker.get_slot(slots.FILIERE)
            if not filiere:
                return events + self.ask_filiere(dispatcher, tracker)
        results = self.services.search.search(
            text, lieu=place.commune if place else None, territoire=where.territoire, filiere=filiere,
            limit=KEPT_RESULTS,
        )
        if not results:
            record_unanswered(self, tracker)
            dispatcher.utter_message(
                text=self.text("results_none", tracker, query=text or self.services.catalogue.filiere_label(filiere or "")),
                buttons=[self.referent_button(tracker)],
            )
            return events + [SlotSet(slots.PENDING, None)]
        courses = in_territory_first([r.course for r in results], where.territoire)
        shown = courses[:PAGE]
        intro = self.text("results_intro", tracker, where=self.where_words(tracker, where))
        body = self.course_lines(tracker, shown, 0)
        notes = []
        if place and shown[0].commune != place.commune:
            notes.append(self.text("results_other_places", tracker, lieu=place.commune))
        if place is None and where.territoire is None:
            notes.append(self.text("results_ask_place", tracker))
        notes.append(self.text("open_to_all", tracker))
        dispatcher.utter_message(
            text="\n".join([intro, body, *notes]),
            buttons=self.results_buttons(tracker, has_more=len(courses) > PAGE),
        )
        chosen_filiere = filiere or shown[0].filiere
        return events + [
            SlotSet(slots.FILIERE, chosen_filiere),
            SlotSet(slots.LAST_RESULTS, [c.id for c in courses]),
            SlotSet(slots.RESULTS_SHOWN, len(shown)),
            SlotSet(slots.SHOWN_COURSE, shown[0].id),
            SlotSet(slots.PENDING, None),
            SlotSet(slots.MISSES, 0),
        ]

    def where_words(self, tracker: Tracker, where: Where) -> str:
        if where.place is not None:
            return self.text("results_where", tracker, lieu=where.place.commune)
        if where.territoire:
            return self.text("results_where_territory", tracker, territoire=self.text(f"territoire_{where.territoire}", tracker))
        return ""

    def more(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        ids = tracker.get_slot(slots.LAST_RESULTS) or []
        start = int(tracker.get_slot(slots.RESULTS_SHOWN) or 0)
        courses = [c for c in (self.services.catalogue.by_id.get(i) for i in ids) if c]
        page = courses[start:start + PAGE]
        if not page:
            dispatcher.utter_message(text=self.text("results_no_more", tracker), buttons=self.menu_buttons(tracker))
            return []
        dispatcher.utter_message(
            text=self.course_lines(tracker, page, start),
            buttons=self.results_buttons(tracker, has_more=len(courses) > start + PAGE),
        )
        return [SlotSet(slots.RESULTS_SHOWN, start + len(page)), SlotSet(slots.SHOWN_COURSE, page[0].id)]

    def ask_filiere(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        catalogue = self.services.catalogue
        territoire = tracker.get_slot(slots.TERRITOIRE) or "bignona"
        codes = []
        for course in catalogue.courses:
            if course.territoire == territoire and course.filiere not in codes:
                codes.append(course.filiere)
        buttons = [
            button(catalogue.filiere_label(code), intent_payload("search_training", filiere=code))
            for code in codes[:9]
        ]
        dispatcher.utter_message(text=self.text("ask_filiere", tracker), buttons=buttons)
        return [SlotSet(slots.PENDING, None)]


class ActionTrainingDetails(LocationMixin, CourseFacts, TerraProAction):
    def name(self) -> str:
        return "action_training_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        catalogue = self.services.catalogue
        where, events = self.resolve_where(tracker)
        place = where.place
        course = catalogue.by_id.get(self.entity(tracker, "course") or "")  # "Tout sur cette formation"
        filiere = self.entity(tracker, "filiere")
        centre = self.entity(tracker, "centre")
        if course is None and where.named and place is not None and not (filiere or centre):
            # "c'est combien celui de Baïla ?": the result there, else the nearest for the same trade.
            course = pick_result(last_courses(self, tracker), commune=place.commune)
            filiere = filiere or tracker.get_slot(slots.FILIERE)
        if course is None and (filiere or centre):
            results = self.services.search.search(
                query_text(tracker), lieu=place.commune if place else None,
                territoire=where.territoire, filiere=filiere, limit=1,
            )
            course = results[0].course if results else None
        if course is None:
            course = catalogue.by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "")
        if course is None:
            return events + self.ask_which_course(dispatcher, tracker)
        aspect = self.services.phrases.aspect(query_text(tracker))
        if aspect:
            return events + self.answer_aspect(dispatcher, tracker, course, aspect)
        return events + self.show_details(dispatcher, tracker, course)


class ActionCentreInfo(LocationMixin, CourseFacts, TerraProAction):
    def name(self) -> str:
        return "action_centre_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        catalogue = self.services.catalogue
        where, events = self.resolve_where(tracker)
        place = where.place
        centre = self.entity(tracker, "centre")
        shown = catalogue.by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "")
        if not centre:
            # A place said now wins; else "ce centre" is the one just shown.
            if place is not None and (where.named or shown is None):
                here = [c for c in catalogue.courses if c.commune == place.commune]
                centre = here[0].centre if here else None
            elif shown is not None:
                centre = shown.centre
        courses = catalogue.courses_of_centre(centre) if centre else []
        if not courses:
            dispatcher.utter_message(text=self.text("centre_ask", tracker), buttons=self.menu_buttons(tracker))
            return events
        first = shown if shown is not None and shown in courses else courses[0]
        aspect = self.services.phrases.aspect(query_text(tracker))
        if aspect:
            return events + self.answer_aspect(dispatcher, tracker, first, aspect)
        dispatcher.utter_message(
            text=self.text(
                "centre_info", tracker, centre=first.centre, commune=first.commune, bassin=first.bassin,
                formations=", ".join(c.formation for c in courses[:5]), contact=first.contact,
            ),
            buttons=[
                button(self.text("menu_open_days", tracker), intent_payload("open_days", centre=first.centre)),
                self.referent_button(tracker),
            ],
        )
        return events + [SlotSet(slots.SHOWN_COURSE, first.id), SlotSet(slots.MISSES, 0)]
