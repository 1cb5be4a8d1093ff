"""Small rules of written French the replies need (elision before a vowel, articles before centre names)."""
from __future__ import annotations

import re

from bot.nlu.text import fold

_VOWELS = tuple("aeiouy")  # place names with an h are mostly aspirated ("de Hautecour")


def de(name: str) -> str:
    """« de Chambéry », « d'Albertville », « d'Aix-les-Bains »."""
    return f"d'{name}" if fold(name[:1]).startswith(_VOWELS) else f"de {name}"


# The first word of a centre's name and its gender: « le CFP », « la Mission locale ».
_GENDER = {
    "cfp": "m", "cio": "m", "centre": "m", "point": "m", "lycee": "m", "college": "m", "institut": "m",
    "mission": "f", "maison": "f", "cite": "f", "ecole": "f", "afpa": "f", "mfr": "f", "e2c": "f",
}


def le(name: str) -> str:
    """« le CFP de Coubanao », « la Mission locale… », « l'AFPA Chambéry », « l'École… »;
    a name whose first word we do not know (a proper name) stays as it is."""
    first = fold(name.split(maxsplit=1)[0]) if name.strip() else ""
    gender = _GENDER.get(first)
    if gender is None:
        return name
    if first.startswith(_VOWELS):
        return f"l'{name}"
    return f"{'le' if gender == 'm' else 'la'} {name}"


def capitalised(text: str) -> str:
    """The same words at the start of a sentence: « Le CFP… », « L'AFPA… »."""
    return text[:1].upper() + text[1:]


_LENGTH_OF_TIME = re.compile(r"\d.*\b(an|ans|mois|semaines?|jours?|heures?)\b")


def is_length_of_time(words: str) -> bool:
    """« 9 mois », « 6 à 12 mois », « 2 ans » — not « 1 rendez-vous » or « Accueil libre »
    (a service, not a course): those cannot follow « dure » or « une formation de »."""
    return bool(_LENGTH_OF_TIME.search(fold(words)))
