"""One territory per person, never mixed: Bignona (Senegal) or Savoie (France).

Learnt once and remembered on the person: from a place or centre they name, from
the country code of a WhatsApp number, from Wolof, or from the answer to the one
question « Bignona ou Savoie ? ». While that question waits, the request that
needed it is kept (intent and entities only, never the text) and carried on after
the answer.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import button, territory_of_number
from actions.payloads import intent_payload
from bot.catalogue.model import TERRITORIES

WHATSAPP = "whatsapp"


class TerritoryMixin:
    """Where the person lives, at territory level; asks once when it is unknown and matters."""

    def territory_info(self: Any, territoire: str) -> dict[str, Any]:
        return self.services.texts.guidance["territories"][territoire]

    def territory_label(self: Any, territoire: str) -> str:
        return self.territory_info(territoire)["label"]

    def in_territory_words(self: Any, territoire: str) -> str:
        """« à Bignona (Sénégal) », « en Savoie (France) »."""
        return self.territory_info(territoire)["in_label"]

    def known_territory(self: Any, tracker: Tracker) -> tuple[str | None, list[dict[str, Any]]]:
        """The remembered territory, else one inferred (phone number, Wolof) and remembered now."""
        remembered = tracker.get_slot(slots.TERRITOIRE)
        if remembered in TERRITORIES:
            return remembered, []
        person = self.person(tracker)
        guess = person.territoire if person.territoire in TERRITORIES else None
        if guess is None and person.channel == WHATSAPP:
            guess = territory_of_number(person.external_id, self.country_codes())
        if guess is None and self.language(tracker) == "wo":
            guess = "bignona"  # Wolof is spoken in Senegal, not in Savoie
        if guess is None:
            return None, []
        if person.territoire != guess:
            self.services.persons.update(person.id, territoire=guess)
        return guess, [SlotSet(slots.TERRITOIRE, guess)]

    def centre_territory(self: Any, tracker: Tracker) -> str | None:
        """The territory of a centre named in this message ("les portes ouvertes de Coubanao")."""
        centre = self.entity(tracker, "centre")
        courses = self.services.catalogue.courses_of_centre(centre) if centre else []
        return courses[0].territoire if courses else None

    def locate(self: Any, tracker: Tracker) -> tuple[Any, list[dict[str, Any]]]:
        """Where (see ``LocationMixin``), its territory filled: a place named now wins (and is
        remembered), then a centre named now, then what is known or inferred."""
        where, events = self.resolve_where(tracker)
        if where.territoire:
            return where, list(events)
        territoire = self.centre_territory(tracker)
        more: list[dict[str, Any]] = []
        if territoire is None:
            territoire, more = self.known_territory(tracker)
        return replace(where, territoire=territoire), list(events) + more

    def territory(self: Any, tracker: Tracker) -> tuple[str | None, list[dict[str, Any]]]:
        where, events = self.locate(tracker)
        return where.territoire, events

    def ask_territory(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, entities: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("ask_territory", tracker), buttons=[
            button(self.territory_label(name), intent_payload("inform_location", territoire=name)) for name in TERRITORIES
        ])
        return [
            SlotSet(slots.PENDING, "territory"),
            SlotSet(slots.RESUME, {"intent": intent, "entities": {k: v for k, v in (entities or {}).items() if v}}),
        ]

    def general_service(self: Any, tracker: Tracker, territoire: str) -> str:
        """The territory's general service, for when the catalogue has nothing."""
        info = self.territory_info(territoire)
        if self.language(tracker) == "wo" and info.get("general_wo"):
            return info["general_wo"]
        return info["general"]
