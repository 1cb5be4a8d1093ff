"""Word lists from ``content/phrases.yml``: which fact a follow-up asks, which result is chosen.

The classifier says what a message is about; these lists, editable by a
coordinator, pick the detail ("ça dure combien ?" → duration). Matching is on
normalised text (no accents, SMS spellings expanded) and on whole words.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from bot.core.errors import ContentError
from bot.core.texts import read_yaml
from bot.nlu.text import normalize

PHRASES_FILE = "phrases.yml"
SECTIONS = ("aspects", "ranks", "refers_back", "generic_event_words", "off_topic", "wish_words", "negations")


def _padded(text: str) -> str:
    return f" {normalize(text)} "


def _phrases(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(p for p in (normalize(str(v)) for v in values or ()) if p)


@dataclass(frozen=True)
class PhraseLists:
    aspects: tuple[tuple[str, tuple[str, ...]], ...]  # in priority order
    ranks: tuple[tuple[str, tuple[str, ...]], ...]
    back_references: tuple[str, ...]
    generic_event_words: frozenset[str]
    off_topic: tuple[tuple[str, tuple[str, ...]], ...]
    wish_words: tuple[str, ...]
    negations: tuple[str, ...]

    @classmethod
    def load(cls, content_dir: Path) -> PhraseLists:
        data = read_yaml(Path(content_dir) / PHRASES_FILE)
        missing = [s for s in SECTIONS if s not in data]
        if missing:
            raise ContentError(PHRASES_FILE, None, f"section(s) manquante(s) : {', '.join(missing)}")

        def named(section: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
            value = data[section]
            if not isinstance(value, dict):
                raise ContentError(PHRASES_FILE, None, f"« {section} » doit contenir des listes nommées")
            return tuple((str(name), _phrases(words)) for name, words in value.items())

        return cls(
            aspects=named("aspects"),
            ranks=named("ranks"),
            back_references=_phrases(data["refers_back"]),
            generic_event_words=frozenset(_phrases(data["generic_event_words"])),
            off_topic=named("off_topic"),
            wish_words=_phrases(data["wish_words"]),
            negations=_phrases(data["negations"]),
        )

    def aspect(self, text: str) -> str | None:
        """The fact a follow-up asks about (duration, cost, contact…), or None for "everything"."""
        return _first(self.aspects, _padded(text))

    def rank(self, text: str) -> str | None:
        """"1".."6" or "last" when the message picks a result by its place in the list."""
        padded = _padded(text)
        if padded.strip().isdigit():
            return padded.strip()
        return _first(self.ranks, padded)

    def refers_back(self, text: str) -> bool:
        padded = _padded(text)
        return any(f" {p} " in padded for p in self.back_references)

    def off_topic_kind(self, text: str) -> str | None:
        """money, call, insult… — a message the bot cannot help with, and why."""
        return _first(self.off_topic, _padded(text))


    def wish_score(self, sentence_before: str, sentence: str) -> int:
        """2: wanted ("je voudrais apprendre la couture"), -1: refused ("je veux pas"), 1: same sentence as a wish, 0."""
        before = _padded(sentence_before)
        last_wish = max((before.rfind(f" {w} ") for w in self.wish_words), default=-1)
        if last_wish >= 0:
            after_wish = before[last_wish:]
            return -1 if any(f" {n} " in after_wish for n in self.negations) else 2
        whole = _padded(sentence)
        return 1 if any(f" {w} " in whole for w in self.wish_words) else 0


def _first(lists: tuple[tuple[str, tuple[str, ...]], ...], padded: str) -> str | None:
    for name, phrases in lists:
        if any(f" {p} " in padded for p in phrases):
            return name
    return None
