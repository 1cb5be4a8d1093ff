"""What a message says about the person (age, school level, wheelchair, writing for someone else).

The words live in content/profile.yml; this module only reads them. A course's
access column ("Niveau CM2 minimum", "16-25 ans…") is read with the same levels,
so a search can keep the courses open to the person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.nlu.text import normalize

LEVELS = ("aucun", "cm2", "5e", "3e")  # lowest first; the order of content/profile.yml
# "j'ai 15 ans", "jai 15ans", "mon fils a 14 ans", "dama am 15 at" — not "une formation de 2 ans".
_AGE = re.compile(r"\b(?:ai|am|a|que)\s+(\d{1,2})\s*(?:ans|an|at)\b")
_DROPPED = {"l", "d", "j", "s", "m", "t", "n"}  # elided articles that SMS spelling keeps apart
_ADULT_ONLY = ("16-25 ans", "demandeurs d'emploi", "16 ans")
MIN_ADULT_AGE = 16


def simplify(text: str) -> str:
    """Normalised words, elided articles dropped ("l'école", "lecole", "l ecole" → "ecole")."""
    words = [("ecole" if w == "lecole" else w) for w in normalize(text).split() if w not in _DROPPED]
    return " " + " ".join(words) + " "


def _has(simple: str, phrases: list[str]) -> str | None:
    return next((p for p in phrases if f" {p} " in simple), None)


@dataclass(frozen=True)
class ProfileFacts:
    """What one message revealed; None / False when it said nothing about it."""

    age: int | None = None
    level: str | None = None
    no_brevet: bool = False
    left_school: bool = False  # left school early or without a diploma
    wheelchair: bool = False
    no_papers: bool = False
    for_whom: str | None = None  # "ton fils"

    @property
    def under_age(self) -> bool:
        """Said an age under 16: the CFPs and the law have their own answer for that."""
        return self.age is not None and self.age < MIN_ADULT_AGE

    @classmethod
    def of(cls, profile: dict[str, Any] | None) -> ProfileFacts:
        """The remembered facts (an answer resumed after « Bignona ou Savoie ? » has no text to read)."""
        profile = profile or {}
        return cls(
            age=profile.get("age"), level=profile.get("niveau"), no_brevet=profile.get("brevet") is False,
            left_school=bool(profile.get("ecole_quittee")), wheelchair=bool(profile.get("fauteuil")),
            for_whom=profile.get("pour"),
        )

    def remembered(self, previous: dict[str, Any] | None) -> dict[str, Any]:
        """The profile slot after this message. Papers are answered, never stored (least data)."""
        profile = dict(previous or {})
        if self.age is not None:
            profile["age"] = self.age
        if self.level:
            profile["niveau"] = self.level
        if self.left_school:
            profile["ecole_quittee"] = True
        if self.no_brevet:
            profile["brevet"] = False
        if self.wheelchair:
            profile["fauteuil"] = True
        if self.for_whom:
            profile["pour"] = self.for_whom
        return profile


class ProfileReader:
    def __init__(self, words: dict[str, Any]) -> None:
        simple = lambda phrases: [simplify(p).strip() for p in phrases or []]  # noqa: E731
        self._levels = {level: simple(words.get("school_levels", {}).get(level)) for level in LEVELS}
        self._left_school = simple(words.get("left_school"))
        self._no_brevet = simple(words.get("no_brevet"))
        self._wheelchair = simple(words.get("wheelchair"))
        self._no_papers = simple(words.get("no_papers"))
        self._for_someone = {simplify(k).strip(): v for k, v in (words.get("for_someone") or {}).items()}

    def read(self, text: str) -> ProfileFacts:
        simple = simplify(text or "")
        age_match = _AGE.search(simple)
        age = int(age_match.group(1)) if age_match and 5 <= int(age_match.group(1)) <= 99 else None
        level = None
        left_school = _has(simple, self._left_school) is not None
        if _has(simple, self._levels["aucun"]):
            level, left_school = "aucun", True
        elif left_school:
            # "j'ai arrêté l'école en CM2": the class named is the level reached.
            level = next((lv for lv in reversed(LEVELS[1:]) if _has(simple, self._levels[lv])), None)
        for_whom = next((v for k, v in self._for_someone.items() if f" {k} " in simple), None)
        return ProfileFacts(
            age=age, level=level, no_brevet=_has(simple, self._no_brevet) is not None, left_school=left_school,
            wheelchair=_has(simple, self._wheelchair) is not None, no_papers=_has(simple, self._no_papers) is not None,
            for_whom=for_whom,
        )

    def course_level(self, acces: str) -> str:
        """The school level a course asks for ("Niveau 5e" → "5e"); "aucun" when it asks none."""
        simple = simplify(acces)
        if _has(simple, self._levels["aucun"]):
            return "aucun"
        return next((lv for lv in reversed(LEVELS[1:]) if _has(simple, self._levels[lv])), "aucun")

    def open_to(self, acces: str, profile: dict[str, Any] | None) -> bool:
        """Whether a course with this access rule is open to the person, as far as the catalogue says."""
        if not profile:
            return True
        level = profile.get("niveau")
        if level in LEVELS and LEVELS.index(self.course_level(acces)) > LEVELS.index(level):
            return False
        age = profile.get("age")
        if isinstance(age, int) and age < MIN_ADULT_AGE and any(w in acces.lower() for w in _ADULT_ONLY):
            return False
        return True
