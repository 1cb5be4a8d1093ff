"""The deterministic distress check: phrase lists from ``content/safety.yml``, no classifier.

Both the message and the coordinators' phrases go through the same normalisation
(lowercase, no accents, apostrophes split so "m'a" stays "m a", letters repeated
three times or more reduced, SMS spellings expanded). Each phrase compiles once to a
regular expression over that normalised text; exception phrases ("tuer le temps")
are blanked out before the families are tried, so they never hide a real phrase
elsewhere in the same message.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.errors import ContentError
from bot.nlu.text import SMS, fold

MAX_GAP = 3  # "..." in a phrase: up to this many words in between
MAX_CHARS = 4000  # the whole message is read, not only what the classifier sees
_WORD = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"\[[^\]]*\]|\{[^}]*\}|\.\.\.|\S+")
_SOURCE = "safety.yml"


def _words(text: str) -> list[str]:
    """Folded words; an apostrophe or any punctuation separates words."""
    folded = _REPEAT.sub(r"\1", fold(text[:MAX_CHARS]))
    return _WORD.findall(folded)


@dataclass(frozen=True)
class Normalizer:
    """Expands SMS spellings word by word (the bot's table plus the safety file's own)."""

    sms: Mapping[str, tuple[str, ...]]

    @classmethod
    def with_extra(cls, extra: Mapping[str, str]) -> "Normalizer":
        table = {key: tuple(value.split()) for key, value in SMS.items()}
        for key, value in extra.items():
            words = _words(str(key))
            if len(words) == 1:
                table[words[0]] = tuple(_words(str(value)))
        return cls(table)

    def __call__(self, text: str) -> str:
        out: list[str] = []
        for word in _words(text):
            out.extend(self.sms.get(word, (word,)))
        return " ".join(out)


def _alternatives(spec: str, where: str) -> str:
    options = []
    for option in spec.split("|"):
        words = _words(option) if not option.endswith("*") else _words(option[:-1])
        if not words:
            raise ContentError(_SOURCE, None, f"{where} : choix vide dans « {spec} »")
        body = r"\ ".join(re.escape(w) for w in words)
        options.append(body + (r"[a-z0-9]*" if option.endswith("*") else ""))
    return "(?:" + "|".join(options) + ")"


def compile_phrase(phrase: str, groups: Mapping[str, list[str]], where: str) -> str:
    """One phrase of the mini-language (see the head of content/safety.yml) as a regex.

    The regex matches the normalised text wrapped in spaces; every word piece ends with
    its space, so pieces concatenate and a match always starts and ends on word limits.
    """
    pieces: list[str] = []
    words = 0
    for token in _TOKEN.findall(phrase.strip()):
        if token == "...":
            pieces.append(rf"(?:[a-z0-9]+\ ){{0,{MAX_GAP}}}")
            continue
        words += 1
        if token.startswith("{") and token.endswith("}"):
            name = token[1:-1].strip()
            if name not in groups:
                raise ContentError(_SOURCE, None, f"{where} : groupe inconnu « {name} »")
            pieces.append(_alternatives("|".join(groups[name]), where) + r"\ ")
        elif token.startswith("[") and token.endswith("]"):
            words -= 1  # optional: does not count as a required word
            pieces.append("(?:" + _alternatives(token[1:-1], where) + r"\ )?")
        else:
            pieces.append(_alternatives(token, where) + r"\ ")
    if words == 0:
        raise ContentError(_SOURCE, None, f"{where} : phrase vide")
    return r"(?<=\ )" + "".join(pieces)


@dataclass(frozen=True)
class Detection:
    family: str  # e.g. "suicide", "violence"
    language: str  # the language of the phrase that matched: "fr" or "wo"


@dataclass(frozen=True)
class _Family:
    name: str
    language: str
    pattern: re.Pattern[str]


class DistressCheck:
    def __init__(self, families: Iterable[_Family], exclusions: re.Pattern[str] | None, normalizer: Normalizer) -> None:
        self._families = tuple(families)
        self._exclusions = exclusions
        self._normalize = normalizer

    @classmethod
    def from_content(cls, data: Mapping) -> "DistressCheck":
        groups = {str(k): [str(v) for v in (values or [])] for k, values in (data.get("groupes") or {}).items()}
        families = []
        for name, family in (data.get("familles") or {}).items():
            for language in ("fr", "wo"):
                phrases = [str(p) for p in (family or {}).get(language) or []]
                if phrases:
                    regex = "|".join(compile_phrase(p, groups, f"familles.{name}.{language}") for p in phrases)
                    families.append(_Family(str(name), language, re.compile(regex)))
        if not families:
            raise ContentError(_SOURCE, None, "aucune famille de phrases (« familles »)")
        exclusions = [compile_phrase(str(p), groups, "exceptions") for p in data.get("exceptions") or []]
        return cls(
            families,
            re.compile("|".join(exclusions)) if exclusions else None,
            Normalizer.with_extra({str(k): str(v) for k, v in (data.get("sms") or {}).items()}),
        )

    def normalize(self, text: str) -> str:
        return self._normalize(text or "")

    def detect(self, text: str | None) -> Detection | None:
        if not text:
            return None
        padded = f" {self._normalize(text)} "
        if self._exclusions is not None:
            # Blank the exception, keep a word boundary; "#" never matches a phrase word.
            padded = self._exclusions.sub("# ", padded)
        for family in self._families:
            if family.pattern.search(padded):
                return Detection(family.name, family.language)
        return None
