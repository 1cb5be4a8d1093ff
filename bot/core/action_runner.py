"""Runs the rasa-sdk actions in-process through rasa-sdk's own executor.

The executor gets exactly the JSON a Rasa server would send to an action server,
so the actions behave the same in both modes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from bot.core import slots as slot_names
from bot.core.policy import INTENTS

ENTITIES = ("filiere", "lieu", "centre")


@dataclass(frozen=True)
class ActionOutcome:
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]


class ActionRunner:
    def __init__(self, actions: Iterable[Action]) -> None:
        self._executor = ActionExecutor()
        for action in actions:
            self._executor.register_action(action)
        self._domain = {
            "version": "3.1",
            "intents": list(INTENTS),
            "entities": list(ENTITIES),
            "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in slot_names.ALL},
            "responses": {},
            "actions": self.action_names,
            "forms": {},
        }

    @property
    def executor(self) -> ActionExecutor:
        return self._executor

    @property
    def action_names(self) -> list[str]:
        return [a.name for a in self._executor.list_actions()]

    async def run(
        self,
        action_name: str,
        sender_id: str,
        slots: dict[str, Any],
        parse: dict[str, Any],
        past_intents: list[str],
    ) -> ActionOutcome:
        tracker = {
            "sender_id": sender_id,
            "slots": {name: slots.get(name) for name in slot_names.ALL},
            "latest_message": parse,
            "events": [{"event": "user", "parse_data": {"intent": {"name": name}}} for name in past_intents]
            + [{"event": "user", "text": parse.get("text"), "parse_data": parse}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
        result = await self._executor.run({
            "next_action": action_name,
            "sender_id": sender_id,
            "tracker": tracker,
            "domain": self._domain,
        })
        return ActionOutcome(events=list(result.events), responses=list(result.responses))
