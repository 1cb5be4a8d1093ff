"""Deleting everything stored about a person, after a confirmation."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.base import TerraProAction, button
from actions.payloads import intent_payload


class ActionAskDeleteMyData(TerraProAction):
    def name(self) -> str:
        return "action_ask_delete_my_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=self.text("delete_confirm", tracker),
            buttons=[
                # Not "/affirm": a delete request passes the hand-off gate, a bare "yes" is relayed.
                button(self.text("answer_yes", tracker), intent_payload("delete_my_data")),
                button(self.text("answer_no", tracker), intent_payload("deny")),
            ],
        )
        return [SlotSet(slots.PENDING, "confirm_delete")]


class ActionDeleteMyData(TerraProAction):
    """Runs only after the young person confirmed; ``Restarted`` tells the core to forget the state too."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        person = self.person(tracker)
        if self.services.eraser is not None:
            await self.services.eraser.erase(person)
        else:
            self.services.persons.delete_everything(person.id)
        dispatcher.utter_message(text=self.text("delete_done", tracker))
        return [Restarted()]


class ActionDeleteCancelled(TerraProAction):
    def name(self) -> str:
        return "action_delete_cancelled"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text("delete_cancelled", tracker), buttons=self.menu_buttons(tracker))
        return [SlotSet(slots.PENDING, None)]
