"""Button ids carry the core's payload; WhatsApp caps them at 256 characters.

Longer payloads travel as a short key kept here (bounded, in memory): after a
restart an old key is unknown and the press falls back to its title as text.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

MAX_ID = 256
_PREFIX = "~k:"


class ButtonIds:
    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload) <= MAX_ID and not payload.startswith(_PREFIX):
            return payload
        key = _PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._capacity:
            self._payloads.popitem(last=False)
        return key

    def decode(self, button_id: str) -> str | None:
        """The payload behind an id, or None when a short key is unknown."""
        if not button_id.startswith(_PREFIX):
            return button_id
        return self._payloads.get(button_id)
