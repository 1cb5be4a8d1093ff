"""Small rules of written French the replies need (elision before a vowel)."""
from __future__ import annotations

from bot.nlu.text import fold

_VOWELS = tuple("aeiouy")  # place names with an h are mostly aspirated ("de Hautecour")


def de(name: str) -> str:
    """« de Chambéry », « d'Albertville », « d'Aix-les-Bains »."""
    return f"d'{name}" if fold(name[:1]).startswith(_VOWELS) else f"de {name}"
