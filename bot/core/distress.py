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
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from bot.core.errors import ContentError
from bot.nlu.text import SMS

MAX_GAP = 3  # "..." in a phrase: up to this many words in between
MAX_CHARS = 4000  # the whole message is read, not only what the classifier sees
MAX_JUMPS = 8  # more anchor words than this in a message: one regex scan instead of jumps
_WORD = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"([a-z])\1{2,}")
_TOKEN = re.compile(r"\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|\.\.\.|\S+")
_SOURCE = "safety.yml"
_COMBINING = re.compile(r"[\u0300-\u036f]+")
# Letters NFKD does not split into base letter + accent.
_SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ŋ": "ng", "ø": "o", "đ": "d", "ł": "l"}


def _fold(text: str) -> str:
    """Lowercase, no accents: like bot.nlu.text.fold, without its per-character offsets (fast)."""
    text = text.lower()
    for letter, plain in _SPECIAL.items():
        if letter in text:
            text = text.replace(letter, plain)
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", decomposed)


def _words(text: str) -> list[str]:
    """Folded words; an apostrophe or any punctuation separates words."""
    folded = _REPEAT.sub(r"\1", _fold(text[:MAX_CHARS]))
    return _WORD.findall(folded)


@dataclass(frozen=True)
class Normalizer:
    """Expands SMS spellings word by word (the bot's table plus the safety file's own)."""

    sms: Mapping[str, tuple[str, ...]]

    @classmethod
    def with_extra(cls, extra: Mapping[str, str]) -> Normalizer:
        table = {key: tuple(value.split()) for key, value in SMS.items()}
        for key, value in extra.items():
            words = _words(str(key))
            if len(words) == 1:
                table[words[0]] = tuple(_words(str(value)))
        return cls(table)

    def __call__(self, text: str) -> str:
        words = _words(text)
        out: list[str] = []
        for position, word in enumerate(words):
            expansion = self.sms.get(word, (word,))
            # "c'est" is already "c est": expanding "c" again would give "c est est".
            if expansion[0] == word and tuple(words[position + 1:position + len(expansion)]) == expansion[1:]:
                expansion = (word,)
            out.extend(expansion)
        return " ".join(out)


def _options(spec: str, where: str) -> list[tuple[list[str], bool]]:
    """"a|b*|c d" -> [(words, is_prefix)]: each option's words, the last one possibly a prefix."""
    options = []
    for option in spec.split("|"):
        prefix = option.endswith("*")
        words = _words(option[:-1] if prefix else option)
        if not words:
            raise ContentError(_SOURCE, None, f"{where} : choix vide dans « {spec} »")
        options.append((words, prefix))
    return options


def _alternatives(options: list[tuple[list[str], bool]]) -> str:
    bodies = [r"\ ".join(re.escape(w) for w in words) + (r"[a-z0-9]*" if prefix else "") for words, prefix in options]
    return "(?:" + "|".join(bodies) + ")"


class _Index:
    """Where each word of the normalised message starts, for jumping straight to candidates."""

    def __init__(self, normalized: str) -> None:
        self.text = f" {normalized} "
        self.starts: dict[str, list[int]] = {}
        for match in re.finditer(r"\S+", self.text):
            self.starts.setdefault(match.group(), []).append(match.start())
        self.words = sorted(self.starts)

    def positions(self, exact: frozenset[str], prefixes: tuple[str, ...]) -> list[int]:
        found = [pos for word in exact & self.starts.keys() for pos in self.starts[word]]
        for prefix in prefixes:
            index = bisect_left(self.words, prefix)
            while index < len(self.words) and self.words[index].startswith(prefix):
                found.extend(self.starts[self.words[index]])
                index += 1
        return found

    def blank(self, spans: list[tuple[int, int]]) -> None:
        """Exceptions: their words become "#…" (same length, so every start stays valid)."""
        chars = list(self.text)
        for start, end in spans:
            for i in range(start, end):
                if chars[i] != " ":
                    chars[i] = "#"
        self.text = "".join(chars)


@dataclass(frozen=True)
class Phrase:
    """A compiled phrase, tried only where one of its anchor words starts.

    The anchor is the phrase's first required piece; whatever comes before it is optional, so
    a match exists if and only if the rest of the phrase matches at some anchor word. A turn
    stays fast with hundreds of phrases and a 4,000-character message.
    """

    tail: re.Pattern[str]  # from the anchor on
    anywhere: re.Pattern[str]  # the same, at any word start: one scan in C when anchors abound
    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def matches(self, index: _Index) -> Iterator[re.Match[str]]:
        """Non-overlapping matches, left to right."""
        positions = index.positions(self.exact, self.prefixes)
        if len(positions) > MAX_JUMPS:
            yield from self.anywhere.finditer(index.text)
            return
        end = 0
        for position in sorted(positions):
            if position >= end and (found := self.tail.match(index.text, position)) is not None:
                end = found.end()
                yield found


def compile_phrase(phrase: str, groups: Mapping[str, list[str]], where: str) -> Phrase:
    """One phrase of the mini-language (see the head of content/safety.yml).

    The regex matches the normalised text wrapped in spaces; every word piece ends with
    its space, so pieces concatenate and a match always starts and ends on word limits.
    """
    pieces: list[str] = []
    anchor: list[tuple[list[str], bool]] | None = None
    for token in _TOKEN.findall(phrase.strip()):
        if token == "...":
            if anchor is not None:
                pieces.append(rf"(?:[a-z0-9]+\ ){{0,{MAX_GAP}}}")
            continue
        if token.startswith("[") and token.endswith("]"):
            if anchor is not None:
                pieces.append("(?:" + _alternatives(_options(token[1:-1], where)) + r"\ )?")
            continue
        if token.startswith("{") and token.endswith("}"):
            name = token[1:-1].strip()
            if name not in groups:
                raise ContentError(_SOURCE, None, f"{where} : groupe inconnu « {name} »")
            options = _options("|".join(groups[name]), where)
        elif token.startswith("(") and token.endswith(")"):
            options = _options(token[1:-1], where)  # expressions of several words
        else:
            options = _options(token, where)
        anchor = anchor or options
        pieces.append(_alternatives(options) + r"\ ")
    if anchor is None:
        raise ContentError(_SOURCE, None, f"{where} : phrase vide")
    exact = frozenset(words[0] for words, prefix in anchor if not (prefix and len(words) == 1))
    prefixes = tuple(words[0] for words, prefix in anchor if prefix and len(words) == 1)
    tail = "".join(pieces)
    return Phrase(re.compile(tail), re.compile(r"(?<=\ )" + tail), exact, prefixes)


class _Anchors:
    """Which phrases (by number) a message's words can start: only those are tried."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        for number, phrase in enumerate(phrases):
            for word in phrase.exact:
                self._exact.setdefault(word, []).append(number)
            for prefix in phrase.prefixes:
                self._prefix.setdefault(prefix, []).append(number)
        self._lengths = sorted({len(p) for p in self._prefix})

    def candidates(self, words: Iterable[str]) -> list[int]:
        found: set[int] = set()
        for word in words:
            found.update(self._exact.get(word, ()))
            for length in self._lengths:
                if length > len(word):
                    break
                found.update(self._prefix.get(word[:length], ()))
        return sorted(found)


@dataclass(frozen=True)
class Detection:
    family: str  # e.g. "suicide", "violence"
    language: str  # the language of the phrase that matched: "fr" or "wo"


@dataclass(frozen=True)
class _Family:
    name: str
    language: str
    phrases: tuple[Phrase, ...]


class DistressCheck:
    def __init__(self, families: Iterable[_Family], exclusions: Iterable[Phrase], normalizer: Normalizer) -> None:
        families = tuple(families)
        # One flat list in file order: the first family listed wins when several match.
        self._phrases = [(phrase, Detection(f.name, f.language)) for f in families for phrase in f.phrases]
        self._anchors = _Anchors(phrase for phrase, _ in self._phrases)
        self._exclusions = tuple(exclusions)
        self._exclusion_anchors = _Anchors(self._exclusions)
        self._normalize = normalizer

    @classmethod
    def from_content(cls, data: Mapping) -> DistressCheck:
        groups = {str(k): [str(v) for v in (values or [])] for k, values in (data.get("groupes") or {}).items()}
        families = []
        for name, family in (data.get("familles") or {}).items():
            for language in ("fr", "wo"):
                phrases = [str(p) for p in (family or {}).get(language) or []]
                if phrases:
                    compiled = tuple(compile_phrase(p, groups, f"familles.{name}.{language}") for p in phrases)
                    families.append(_Family(str(name), language, compiled))
        if not families:
            raise ContentError(_SOURCE, None, "aucune famille de phrases (« familles »)")
        exclusions = [compile_phrase(str(p), groups, "exceptions") for p in data.get("exceptions") or []]
        return cls(
            families,
            exclusions,
            Normalizer.with_extra({str(k): str(v) for k, v in (data.get("sms") or {}).items()}),
        )

    def normalize(self, text: str) -> str:
        return self._normalize(text or "")

    def detect(self, text: str | None) -> Detection | None:
        if not text:
            return None
        index = _Index(self._normalize(text))
        excluded = [
            m.span() for number in self._exclusion_anchors.candidates(index.starts)
            for m in self._exclusions[number].matches(index)
        ]
        if excluded:
            index.blank(excluded)
        for number in self._anchors.candidates(index.starts):
            phrase, detection = self._phrases[number]
            if next(phrase.matches(index), None) is not None:
                return detection
        return None
