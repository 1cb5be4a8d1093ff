"""What every reply to a young person must respect: one phone screen, no unexplained jargon,
« (à confirmer) » next to the fact it qualifies, French elision."""
from __future__ import annotations

import re

MAX_REPLY = 500  # characters, about one phone screen
# Administrative words a 16-year-old does not know, unless the reply says what they mean.
JARGON = (
    re.compile(r"\bRCAI\b"),
    re.compile(r"\bbassins?\b", re.I),
    re.compile(r"titre professionnel", re.I),
    re.compile(r"\bniveau 3\b", re.I),
    re.compile(r"\bCEJ\b"),
    re.compile(r"cellule d'appui", re.I),
)
# "de Albertville", "que il": a vowel after a word that elides.
MISSING_ELISION = re.compile(r"\b(?:de|que|je|ne|le) (?=[AEIOUaeiouÉéÈèÂâ][a-zé])")
UNCONFIRMED_FAR = re.compile(r"Contact : [^\n]*\(à confirmer\)")


def problems(text: str, *, language: str = "fr") -> list[str]:
    """What is wrong with one reply (empty when it is fine)."""
    found = []
    if len(text) > MAX_REPLY:
        found.append(f"{len(text)} characters")
    found += [f"jargon {p.pattern!r}" for p in JARGON if p.search(text)]
    if language == "fr" and MISSING_ELISION.search(text):
        found.append(f"missing elision: {MISSING_ELISION.search(text).group(0)!r}")
    if UNCONFIRMED_FAR.search(text):
        found.append("« (à confirmer) » after the contact, far from the facts it qualifies")
    return found
