"""Every concrete action, built with the services the composition root passes in."""
from __future__ import annotations

import inspect

from actions import alerts, guidance, handoff, location, privacy, profile, search, small_talk
from actions.base import TerraProAction
from actions.services import ActionServices

MODULES = (alerts, guidance, handoff, location, privacy, profile, search, small_talk)


def action_classes() -> list[type[TerraProAction]]:
    found = []
    for module in MODULES:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, TerraProAction) and not inspect.isabstract(cls) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def build_actions(services: ActionServices) -> list[TerraProAction]:
    return [cls(services) for cls in action_classes()]
