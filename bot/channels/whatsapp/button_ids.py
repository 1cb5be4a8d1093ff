"""Button ids carry the core's payload; WhatsApp caps them at 256 characters.

Longer payloads travel as a short key kept in the shared key store (database or
Redis), so any process understands the press, also after a restart; an expired key
is unknown and the press falls back to its title as text.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.storage.shared_keys import SharedKeyStore, SharedMap

MAX_ID = 256
_PREFIX = "~k:"
NAMESPACE = "whatsapp:button"
KEY_TTL = timedelta(days=30)


def button_keys(store: SharedKeyStore) -> SharedMap:
    return store.map(NAMESPACE, KEY_TTL)


class ButtonIds:
    def __init__(self, keys: SharedMap | None = None) -> None:
        self._keys = keys

    def encode(self, payload: str) -> str:
        if len(payload) <= MAX_ID and not payload.startswith(_PREFIX):
            return payload
        if self._keys is None:
            raise ValueError("a long button payload needs the shared key store")
        key = _PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._keys.put(key, payload)
        return key

    def decode(self, button_id: str) -> str | None:
        """The payload behind an id, or None when a short key is unknown."""
        if not button_id.startswith(_PREFIX):
            return button_id
        return self._keys.get(button_id) if self._keys is not None else None
