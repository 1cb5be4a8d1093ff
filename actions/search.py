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
from actions.territory import TerritoryMixin
from bot.catalogue.model import Course, Place
from bot.catalogue.stopwords import STOP_WORDS
from bot.core.french import de
from bot.nlu.text import tokens

PAGE = 3
MAX_REPLY = 500  # characters: one phone screen
KEPT_RESULTS = 12


def asked_words(text: str) -> str:
    """The words of a query that say what is wanted (« vente » in « je cherche une formation
    dans la vente »), as the person wrote them: what a reply quotes back."""
    kept = [word.strip("?!.,;:«»\"'") for word in text.split() if any(t not in STOP_WORDS for t in tokens(word))]
    return " ".join(word for word in kept if word)


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


class NearestCourse:
    """The course a follow-up is about when none was shown yet."""

    def nearest_course(self: Any, tracker: Tracker, where: Where, filiere: str | None) -> Course | None:
        results = self.services.search.search(
            query_text(tracker), lieu=where.place.commune if where.place else None,
            territoire=where.territoire, filiere=filiere, limit=KEPT_RESULTS,
        )
        local = in_territory([r.course for r in results], where.territoire)
        return local[0] if local else None

    def course_of_the_trade(self: Any, tracker: Tracker, where: Where) -> Course | None:
        """« c payant ? », « c où ? » right after a trade was talked about without a course
        being shown (« un apprentissage en cuisine »): the nearest course of that trade."""
        filiere = tracker.get_slot(slots.FILIERE)
        return self.nearest_course(tracker, where, filiere) if filiere else None


def _place_of_bassin(places: tuple[Place, ...], name: str) -> Place | None:
    wanted = name.casefold()
    return next((p for p in places if p.bassin.casefold() == wanted), None)


def in_territory(courses: list[Course], territoire: str | None) -> list[Course]:
    """Only the person's territory: a young person in Bignona is never sent to Chambéry, nor the reverse."""
    if not territoire:
        return courses
    return [c for c in courses if c.territoire == territoire]


class CourseFormatting:
    def course_lines(self: Any, tracker: Tracker, courses: list[Course], start: int) -> str:
        lines = []
        for n, course in enumerate(courses, start=start + 1):
            lines.append(self.text(
                "course_line", tracker, n=n, formation=course.formation,
                centre_at=self.centre_at(tracker, course.centre, course.commune), duree=course.duree, cout=course.cout,
                acces=self.plain(course.acces),
                contact=self.plain(course.contact),
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


class ActionSearchTraining(LocationMixin, TerritoryMixin, CourseFormatting, TerraProAction):
    def name(self) -> str:
        return "action_search_training"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        if self.entity(tracker, "page") == "next":
            return self.more(dispatcher, tracker)
        where, events = self.locate(tracker)
        place = where.place
        filiere = self.entity(tracker, "filiere")
        centre = self.entity(tracker, "centre")
        text = query_text(tracker)
        profile = self.profile_of(tracker)
        if profile != (tracker.get_slot(slots.PROFILE) or {}):
            events.append(SlotSet(slots.PROFILE, profile))
        wanted = (tracker.latest_message or {}).get("wanted_filiere")
        if wanted:
            # A long message: search the trade the person wants, not every trade of their story.
            filiere, text = wanted, ""
        if not filiere and not centre and (where.named or not text):
            # "et à Baïla ?" or a bare menu button: keep the trade already chosen.
            filiere = tracker.get_slot(slots.FILIERE)
            if not filiere:
                return events + self.ask_filiere(dispatcher, tracker, where.territoire)
        results = self.services.search.search(
            text, lieu=place.commune if place else None, territoire=where.territoire, filiere=filiere,
            limit=KEPT_RESULTS,
        )
        trade = filiere or (results[0].course.filiere if results else None)
        what = self.services.catalogue.filiere_label(trade) if trade else asked_words(text) or text
        territoire = where.territoire
        if not results:
            if territoire:  # honest, with the territory's own service (Mission locale, CFP cell…)
                return events + self.nothing_here(dispatcher, tracker, territoire, what, "results_none_territory")
            record_unanswered(self, tracker)
            dispatcher.utter_message(
                text=self.text("results_none", tracker, query=what),
                buttons=[self.referent_button(tracker)],
            )
            return events + [SlotSet(slots.PENDING, None)]
        if territoire is None:
            # We do not know where the person lives: ask, never guess. Even a trade taught in one
            # country only would send a young person of the other one to a centre 4,000 km away.
            return events + self.ask_territory(
                dispatcher, tracker, "search_training", {"filiere": filiere or results[0].course.filiere, "centre": centre},
            )
        courses = in_territory([r.course for r in results], territoire)
        if not courses:
            return events + self.nothing_here(dispatcher, tracker, territoire, what, "results_none_territory")
        fitting = [c for c in courses if self.services.profile.open_to(c.acces, profile)]
        if not fitting:
            return events + self.nothing_here(dispatcher, tracker, territoire, what, "results_none_profile")
        courses = fitting
        intro = self.text("results_intro", tracker, where=self.where_words(tracker, where))
        notes = []
        if place and courses[0].commune != place.commune:
            notes.append(self.text("results_other_places", tracker, lieu=place.commune))
        if place is None and not centre:  # a centre asked for by name is the one wanted, wherever the person lives
            notes.append(self.text("results_ask_place", tracker))
        if profile.get("fauteuil"):
            notes.append(self.text("results_accessibility", tracker))
        notes.append(self.text("open_to_all", tracker))
        shown = courses[:PAGE]
        # One phone screen: fewer results rather than a text nobody scrolls ("Voir plus" shows the rest).
        while len(shown) > 1 and len("\n".join([intro, self.course_lines(tracker, shown, 0), *notes])) > MAX_REPLY:
            shown = shown[:-1]
        body = self.course_lines(tracker, shown, 0)
        dispatcher.utter_message(
            text="\n".join([intro, body, *notes]),
            buttons=self.results_buttons(tracker, has_more=len(courses) > len(shown)),
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

    def profile_of(self, tracker: Tracker) -> dict[str, Any]:
        """The remembered profile, with what this very message says (« j'ai pas le brevet, je veux… »)."""
        facts = self.services.profile.read(query_text(tracker))
        return facts.remembered(tracker.get_slot(slots.PROFILE))

    def nothing_here(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, territoire: str, what: str, key: str
    ) -> list[dict[str, Any]]:
        """Honest: nothing for that in the person's territory; the territory's general service instead."""
        record_unanswered(self, tracker)
        lines = [
            self.text(key, tracker, query=what, territoire=self.in_territory_words(territoire)),
            self.general_service(tracker, territoire),
        ]
        dispatcher.utter_message(text="\n".join(lines), buttons=[self.referent_button(tracker)])
        return [SlotSet(slots.PENDING, None), SlotSet(slots.LAST_RESULTS, None), SlotSet(slots.SHOWN_COURSE, None)]

    def where_words(self, tracker: Tracker, where: Where) -> str:
        if where.place is not None:
            return self.text("results_where", tracker, lieu=where.place.commune, de_lieu=de(where.place.commune))
        if where.territoire:
            return self.text(
                "results_where_territory", tracker, territoire=self.in_territory_words(where.territoire),
                name=self.text(f"territoire_{where.territoire}", tracker),
            )
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

    def ask_filiere(self, dispatcher: CollectingDispatcher, tracker: Tracker, territoire: str | None) -> list[dict[str, Any]]:
        catalogue = self.services.catalogue
        codes = []
        for course in catalogue.courses:
            if (territoire is None or course.territoire == territoire) and course.filiere not in codes:
                codes.append(course.filiere)
        buttons = [
            button(catalogue.filiere_label(code), intent_payload("search_training", filiere=code))
            for code in codes[:9]
        ]
        dispatcher.utter_message(text=self.text("ask_filiere", tracker), buttons=buttons)
        return [SlotSet(slots.PENDING, None)]


class ActionTrainingDetails(LocationMixin, NearestCourse, TerritoryMixin, CourseFacts, TerraProAction):
    def name(self) -> str:
        return "action_training_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = query_text(tracker)
        facts = self.services.profile.read(text) if text else None
        if facts is not None and (facts.no_papers or facts.wheelchair or facts.under_age):
            # « j'ai pas de papiers, je peux faire la formation ? »: what the person said about
            # themself is the real question, and gets its own honest answer.
            from actions.profile import ActionInformProfile  # it builds on this module

            return ActionInformProfile(self.services).run(dispatcher, tracker, domain)
        catalogue = self.services.catalogue
        where, events = self.locate(tracker)
        place = where.place
        course = catalogue.by_id.get(self.entity(tracker, "course") or "")  # "Tout sur cette formation"
        filiere = self.entity(tracker, "filiere")
        centre = self.entity(tracker, "centre")
        if course is None and where.named and place is not None and not (filiere or centre):
            # "c'est combien celui de Baïla ?": the result there, else the nearest for the same trade.
            course = pick_result(last_courses(self, tracker), commune=place.commune)
            filiere = filiere or tracker.get_slot(slots.FILIERE)
        searched = course is None and (filiere or centre or not tracker.get_slot(slots.SHOWN_COURSE))
        if course is None and (filiere or centre):
            course = self.nearest_course(tracker, where, filiere)
        if course is None:
            course = catalogue.by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "") or self.course_of_the_trade(
                tracker, where
            )
        if course is None:
            return events + self.ask_which_course(dispatcher, tracker)
        if searched and where.territoire is None:
            # « c combien la couture ? » from someone we cannot place: the nearest course could be
            # in the other country. Ask, then answer about that trade there.
            return events + self.ask_territory(
                dispatcher, tracker, "training_details", {"filiere": filiere or course.filiere, "centre": centre},
            )
        aspect = self.services.phrases.aspect(query_text(tracker))
        if aspect:
            return events + self.answer_aspect(dispatcher, tracker, course, aspect)
        return events + self.show_details(dispatcher, tracker, course)


class ActionCentreInfo(LocationMixin, NearestCourse, CourseFacts, TerraProAction):
    def name(self) -> str:
        return "action_centre_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        catalogue = self.services.catalogue
        where, events = self.resolve_where(tracker)
        place = where.place
        centre = self.entity(tracker, "centre")
        shown = catalogue.by_id.get(tracker.get_slot(slots.SHOWN_COURSE) or "")
        if not centre and shown is None and not where.named:
            shown = self.course_of_the_trade(tracker, where)
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
                formations=", ".join(c.formation for c in courses[:5]), contact=self.plain(first.contact),
            ),
            buttons=[
                button(self.text("menu_open_days", tracker), intent_payload("open_days", centre=first.centre)),
                self.referent_button(tracker),
            ],
        )
        return events + [SlotSet(slots.SHOWN_COURSE, first.id), SlotSet(slots.MISSES, 0)]
