"""Button payloads <-> Telegram callback_data, which is limited to 64 bytes."""
from __future__ import annotations

import hashlib
from collections import OrderedDict

from bot.core.messages import Button

MAX_CALLBACK_BYTES = 64
_INLINE = "p:"  # the payload itself follows
_KEYED = "k:"  # a hash key into the in-memory map follows


def _key(payload: str) -> str:
    return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


class ButtonCodec:
    """Encodes payloads that fit inline; longer ones go through a bounded LRU map.

    The map lives in this process only: after a restart (or once evicted) a long payload's key
    is unknown and the press decodes to ``None``, which the core answers politely.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def encode(self, button: Button) -> str:
        key = _key(button.payload)
        self._remember(key, button.payload, button.title)
        inline = _INLINE + button.payload
        if len(inline.encode()) <= MAX_CALLBACK_BYTES:
            return inline
        return _KEYED + key

    def decode(self, data: str | None) -> tuple[str | None, str | None]:
        """Returns (payload, title); either may be None when unknown."""
        if not data:
            return None, None
        if data.startswith(_INLINE):
            payload = data[len(_INLINE):]
            entry = self._lookup(_key(payload))
            return payload, entry[1] if entry else None
        if data.startswith(_KEYED):
            entry = self._lookup(data[len(_KEYED):])
            return (entry[0], entry[1]) if entry else (None, None)
        return None, None

    def __len__(self) -> int:
        return len(self._entries)

    def _remember(self, key: str, payload: str, title: str) -> None:
        self._entries[key] = (payload, title)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _lookup(self, key: str) -> tuple[str, str] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry
