"""Cleaning what people type before anything else reads it."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# A whole message is read: Telegram and WhatsApp cap a text at 4,096 characters;
# only a longer paste (terminal, web) is cut.
MAX_CHARS = 4000


@dataclass(frozen=True)
class CleanText:
    text: str
    truncated: bool

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def has_words(self) -> bool:
        return any(ch.isalnum() for ch in self.text)


def clean(raw: str | None) -> CleanText:
    """Drop control and invisible format characters, collapse blanks, cap the length."""
    raw = raw or ""
    chars = []
    for ch in raw[: MAX_CHARS * 4]:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co") or (category == "Cf" and ch != "\u200d"):
            chars.append(" ")
        else:
            chars.append(ch)
    text = " ".join("".join(chars).split())
    truncated = len(text) > MAX_CHARS
    return CleanText(text=text[:MAX_CHARS], truncated=truncated)
