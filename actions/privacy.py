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


class ActionMyData(TerraProAction):
    """« Qu'est-ce que tu sais sur moi ? »: read back, in plain words, what the repositories hold."""

    def name(self) -> str:
        return "action_my_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="\n".join(self._lines(tracker)),
            buttons=[button(self.text("my_data_delete_button", tracker), intent_payload("delete_my_data"))],
        )
        return []

    def _lines(self, tracker: Tracker) -> list[str]:
        services = self.services
        person = self.person(tracker)
        days = services.retention_days
        lines = [
            self.text("my_data_intro", tracker),
            self.text("my_data_channel", tracker, channel=self.text(f"channel_{person.channel}", tracker)),
        ]
        if person.display_name:
            lines.append(self.text("my_data_name", tracker, name=person.display_name))
        lines.append(self.text("my_data_language", tracker, spoken=self.text(f"language_{person.language}", tracker)))
        area = self._area(tracker, person.territoire, person.bassin)
        if area:
            lines.append(self.text("my_data_area", tracker, area=area))
        search = self._search(tracker)
        if search:
            lines.append(self.text("my_data_search", tracker, search=search))
        subscription = services.subscriptions.get(person.id)
        if subscription is not None:
            lines.append(self.text(
                "my_data_subscription", tracker,
                area=self._area(tracker, subscription.territoire, subscription.bassin) or "",
            ))
        counted = (
            ("my_data_reminders", services.reminders.booked_for(person.id)),
            ("my_data_tickets", services.handoffs.count_for(person.id)),
            ("my_data_questions", services.unanswered.count_for(person.id)),
        )
        lines += [self.text(key, tracker, count=count, days=days) for key, count in counted if count]
        lines.append(self.text("my_data_nothing_else", tracker))
        return lines

    def _area(self, tracker: Tracker, territoire: str | None, bassin: str | None) -> str:
        parts = [self.text(f"territoire_{territoire}", tracker)] if territoire else []
        if bassin:
            parts.append(bassin)
        return ", ".join(parts)

    def _search(self, tracker: Tracker) -> str:
        code = tracker.get_slot(slots.FILIERE)
        labels = {f.code: f.label for f in self.services.catalogue.filieres}
        parts = [labels.get(code, code)] if code else []
        lieu = tracker.get_slot(slots.LIEU)
        if lieu:
            parts.append(str(lieu))
        return ", ".join(parts)
