"""Log-safe identifiers: a chat id never appears in logs in clear."""
from __future__ import annotations

import hashlib


def chat_ref(chat_id: object) -> str:
    """A short, stable pseudonym for a chat id, enough to follow one chat through the logs."""
    return hashlib.sha256(f"telegram:{chat_id}".encode()).hexdigest()[:10]
