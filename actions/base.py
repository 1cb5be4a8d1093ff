"""Common ground for the TerraPro actions.

Actions only collect replies through the dispatcher and return events; the
transport (embedded core or Rasa server) sends them. Each action reads what it
needs from the tracker and from ``ActionServices``.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.payloads import intent_payload
from actions.services import ActionServices
from bot.storage.records import PersonRecord


class TerraProAction(Action, metaclass=ABCMeta):
    """Base class: gives access to services, the language and the sender.

    Abstract, so rasa-sdk's ``register_package`` registers only the concrete actions.
    """

    def __init__(self, services: ActionServices | None = None) -> None:
        self._services = services

    @property
    def services(self) -> ActionServices:
        if self._services is None:
            # rasa-sdk's own loader builds actions without services: serve them with
            # `terrapro actions-server`, which builds them from the composition root.
            raise RuntimeError("TerraPro actions need their services: run `terrapro actions-server`")
        return self._services

    # -- helpers shared by all actions -------------------------------------------------

    def language(self, tracker: Tracker) -> str:
        latest = tracker.latest_message or {}
        return latest.get("language") or tracker.get_slot(slots.LANGUAGE) or "fr"

    def text(self, key: str, tracker: Tracker, **values: Any) -> str:
        return self.services.texts.get(
            key, self.language(tracker), for_territory=self.territory_hint(tracker), **values
        )

    def territory_hint(self, tracker: Tracker) -> str | None:
        """Whose places a text's examples should name: the remembered territory, else the
        WhatsApp number's country (nothing is written: this only words a text)."""
        remembered = tracker.get_slot(slots.TERRITOIRE)
        if remembered:
            return str(remembered)
        channel, _, external_id = tracker.sender_id.partition(":")
        return territory_of_number(external_id, self.country_codes()) if channel == "whatsapp" else None

    def country_codes(self) -> dict[str, str]:
        """Country calling code → territory (content/guidance.yml)."""
        return {
            code: name for name, info in self.services.texts.guidance["territories"].items()
            for code in info.get("country_codes", [])
        }

    def person(self, tracker: Tracker) -> PersonRecord:
        channel, _, external_id = tracker.sender_id.partition(":")
        if not external_id:  # a Rasa server with its own sender ids
            channel, external_id = "rasa", tracker.sender_id
        return self.services.persons.get_or_create(channel, external_id)

    def menu_buttons(self, tracker: Tracker) -> list[dict[str, str]]:
        return [
            button(self.text("menu_find", tracker), intent_payload("search_training")),
            button(self.text("menu_open_days", tracker), intent_payload("open_days")),
            button(self.text("menu_own_activity", tracker), intent_payload("entrepreneurship")),
            button(self.text("menu_referent", tracker), intent_payload("talk_to_human")),
        ]

    def referent_button(self, tracker: Tracker) -> dict[str, str]:
        return button(self.text("menu_referent", tracker), intent_payload("talk_to_human"))

    def centre_at(self, tracker: Tracker, centre: str, commune: str) -> str:
        """« CFP d'Aldabar (Bignona) », but « CFP de Baïla » when the name already says where."""
        return centre if commune.casefold() in centre.casefold() else self.text("centre_at", tracker, centre=centre, commune=commune)

    def plain(self, words: str) -> str:
        """A catalogue term said plainly (« RCAI » → who that is), from content/guidance.yml."""
        return (self.services.texts.guidance.get("plain_words") or {}).get(words, words)

    def entity(self, tracker: Tracker, name: str) -> str | None:
        values = [e.get("value") for e in (tracker.latest_message or {}).get("entities", []) if e.get("entity") == name]
        return values[0] if values else None

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]: ...


def button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


def record_unanswered(action: TerraProAction, tracker: Tracker) -> None:
    """Keep the question for the coordinator (scrubbed of personal data by the repository)."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    if not text or text.startswith("/"):
        return
    intent = latest.get("intent") or {}
    action.services.unanswered.record(
        action.person(tracker).id, text, intent.get("name") or "?",
        float(intent.get("confidence") or 0.0), action.language(tracker),
    )


def territory_of_number(wa_id: str, codes: dict[str, str]) -> str | None:
    """The territory of a WhatsApp number (its wa_id: country code and number, digits only)."""
    digits = wa_id.lstrip("+")
    for code in sorted(codes, key=len, reverse=True):
        if digits.startswith(code):
            return codes[code]
    return None
