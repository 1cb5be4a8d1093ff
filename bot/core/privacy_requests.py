"""Recognise a young person's privacy requests (what do you know about me, delete it).

They must reach the bot even while a referent holds the conversation: the
hand-off gate asks this before relaying a message.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.input import clean
from bot.core.messages import IncomingMessage, MessageKind

PRIVACY_INTENTS = frozenset({"delete_my_data", "my_data"})


class PrivacyRequests:
    """``parse``: the NLU's parse, looked up only when a message needs it (the model loads lazily)."""

    def __init__(self, parse: Callable[[str], dict[str, Any]], threshold: float) -> None:
        self._parse = parse
        self._threshold = threshold

    def __call__(self, message: IncomingMessage) -> bool:
        if message.kind is MessageKind.BUTTON:
            payload = message.payload or ""
            return payload.startswith("/") and payload[1:].split("{")[0] in PRIVACY_INTENTS
        if message.kind is not MessageKind.TEXT:
            return False
        cleaned = clean(message.text)
        if not cleaned.has_words:
            return False
        intent = self._parse(cleaned.text).get("intent") or {}
        return intent.get("name") in PRIVACY_INTENTS and float(intent.get("confidence") or 0) >= self._threshold
