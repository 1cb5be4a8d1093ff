"""A whole paragraph is read in full: which of the trades it mentions the person wants.

A young person often tells their story before asking ("mon père est mécanicien
mais moi je préfère la cuisine… il y a une école ?"). The classifier may call
that orientation or small talk and the entity extractor finds every trade in
it; this picks the wanted one so the search answers the question.
"""
from __future__ import annotations

import re
from typing import Any

from bot.core.phrases import PhraseLists

LONG_WORDS = 15  # shorter messages are taken as they are
_SENTENCE_END = re.compile(r"[.!?;\n]+")


def is_long(text: str) -> bool:
    return len(text.split()) >= LONG_WORDS


def focus(parse: dict[str, Any], phrases: PhraseLists) -> dict[str, Any]:
    """The parse with the wanted trade first among its entities, and ``wanted_filiere`` set when one is wanted."""
    text = parse.get("text") or ""
    if text.startswith("/") or not is_long(text):
        return parse
    entities = list(parse.get("entities") or [])
    trades = [e for e in entities if e.get("entity") == "filiere"]
    if not trades:
        return parse
    scores = {id(e): _score(text, e, phrases) for e in trades}
    ranked = sorted(trades, key=lambda e: -scores[id(e)])  # stable: first mention wins a tie
    best = ranked[0]
    return {
        **parse,
        "entities": ranked + [e for e in entities if e.get("entity") != "filiere"],
        "wanted_filiere": best["value"] if scores[id(best)] > 0 else None,
    }


def _score(text: str, entity: dict[str, Any], phrases: PhraseLists) -> int:
    start = int(entity.get("start") or 0)
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    end_match = _SENTENCE_END.search(text, start)
    sentence_end = end_match.start() if end_match else len(text)
    return phrases.wish_score(text[sentence_start:start], text[sentence_start:sentence_end])
