"""Greetings, thanks, goodbye, help, honesty about being a bot, and fallbacks."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button, record_unanswered
from actions.payloads import intent_payload
from actions.search import LocationMixin

# Below this, an out_of_scope verdict may just be a message not understood: ask to rephrase.
OFF_TOPIC_CONFIDENCE = 0.6


class ActionGreet(TerraProAction):
    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("greet", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


class ActionGoodbye(TerraProAction):
    def name(self) -> str:
        return "action_goodbye"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("goodbye", tracker))
        return [SlotSet(slots.PENDING, None)]


class ActionThank(TerraProAction):
    def name(self) -> str:
        return "action_thank"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("thank", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.PENDING, None)]


class ActionHelp(TerraProAction):
    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("help", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.PENDING, None), SlotSet(slots.MISSES, 0)]


class ActionBotChallenge(TerraProAction):
    def name(self) -> str:
        return "action_bot_challenge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("bot_challenge", tracker), buttons=[self.referent_button(tracker)])
        return []


class ActionAcknowledge(TerraProAction):
    """A "oui" / "non" that answers no question of ours: acknowledge and offer the menu."""

    def name(self) -> str:
        return "action_acknowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("ok_noted", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.PENDING, None)]


class ActionDefaultFallback(LocationMixin, TerraProAction):
    """Not understood: ask to rephrase; the second miss in a row offers a referent."""

    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        record_unanswered(self, tracker)  # off-topic too: coordinators see what young people ask
        # A commune named in a message not understood (« je sui a albertville … ») still says where
        # the person is: the next search must not fall back to the other territory.
        _, place = self.resolve_where(tracker)
        return place + self._answer(dispatcher, tracker)

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        off_topic = self.off_topic_kind(tracker)
        if off_topic is not None:
            # Understood, just not something the bot does: say so plainly, not "je n'ai pas compris".
            dispatcher.utter_message(
                text=self.text(f"off_topic_{off_topic}", tracker),
                buttons=[self.referent_button(tracker), button(self.text("menu_find", tracker), intent_payload("search_training"))],
            )
            return [SlotSet(slots.MISSES, 0), SlotSet(slots.PENDING, None)]
        misses = int(tracker.get_slot(slots.MISSES) or 0) + 1
        if misses >= 2:
            dispatcher.utter_message(
                text=self.text("fallback_second", tracker),
                buttons=[
                    button(self.text("answer_yes", tracker), intent_payload("talk_to_human")),
                    button(self.text("answer_no", tracker), intent_payload("help")),
                ],
            )
            return [SlotSet(slots.MISSES, misses), SlotSet(slots.PENDING, "offer_referent")]
        dispatcher.utter_message(text=self.text("fallback_first", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.MISSES, misses), SlotSet(slots.PENDING, None)]

    def off_topic_kind(self, tracker: Tracker) -> str | None:
        """money, call, insult (phrases.yml), "other" for a confident out_of_scope, else None."""
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        if not text or text.startswith("/"):
            return None
        kind = self.services.phrases.off_topic_kind(text)
        intent = latest.get("intent") or {}
        if kind is None and intent.get("name") == "out_of_scope" and float(intent.get("confidence") or 0) >= OFF_TOPIC_CONFIDENCE:
            kind = "other"
        return kind
