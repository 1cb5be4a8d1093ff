"""Button payloads <-> Telegram callback_data, which is limited to 64 bytes."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from bot.core.messages import Button
from bot.storage.shared_keys import SharedKeyStore, SharedMap

MAX_CALLBACK_BYTES = 64
_INLINE = "p:"  # the payload itself follows
_KEYED = "k:"  # a hash key into the shared store follows
NAMESPACE = "telegram:callback"
# Long enough for a person to come back to yesterday's buttons.
KEY_TTL = timedelta(days=30)


def _key(payload: str) -> str:
    return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


def callback_keys(store: SharedKeyStore) -> SharedMap:
    return store.map(NAMESPACE, KEY_TTL)


class ButtonCodec:
    """Encodes payloads that fit inline; longer ones go through the shared key store.

    The store is the database or Redis, so a press is understood by any process, also
    after a restart; a key unknown there (expired) decodes to ``None``, which the core
    answers politely. Only long payloads touch the store.
    """

    def __init__(self, keys: SharedMap | None = None) -> None:
        self._keys = keys

    def encode(self, button: Button) -> str:
        inline = _INLINE + button.payload
        if len(inline.encode()) <= MAX_CALLBACK_BYTES:
            return inline
        if self._keys is None:
            raise ValueError("a long button payload needs the shared key store")
        key = _key(button.payload)
        self._keys.put(key, json.dumps([button.payload, button.title], ensure_ascii=False))
        return _KEYED + key

    def needs_store(self, data: str | None) -> bool:
        return bool(data and data.startswith(_KEYED))

    def decode(self, data: str | None) -> tuple[str | None, str | None]:
        """Returns (payload, title); either may be None when unknown."""
        if not data:
            return None, None
        if data.startswith(_INLINE):
            return data[len(_INLINE):], None
        if data.startswith(_KEYED) and self._keys is not None:
            raw = self._keys.get(data[len(_KEYED):])
            if raw is None:
                return None, None
            try:
                payload, title = json.loads(raw)
            except (ValueError, TypeError):
                return None, None
            return str(payload), str(title)
        return None, None
