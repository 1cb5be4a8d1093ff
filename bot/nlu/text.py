"""Text normalisation for French as typed on a phone, with Wolof words mixed in.

Every token keeps the character span it came from in the original text, so the
entity extractor can report Rasa offsets on what the young person really typed.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

MAX_CHARS = 4000  # a whole Telegram or WhatsApp message (4,096 at most)

_APOSTROPHES = frozenset("'’`´ʼ‘ʻ")
# French elided words: "l'école", "d'Aldabar", "qu'est-ce", "jusqu'à".
_ELISIONS = frozenset({"l", "d", "j", "qu", "c", "m", "t", "s", "n", "jusqu", "lorsqu", "puisqu"})
# Letters NFKD does not split into base letter + accent.
_SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ŋ": "ng", "ø": "o", "đ": "d", "ł": "l"}

# SMS spellings and abbreviations -> plain French words (a token may become several).
SMS = {
    "ki": "qui", "kel": "quel", "kl": "quel", "kelle": "quelle", "kels": "quels", "kelles": "quelles",
    "koi": "quoi", "kwa": "quoi", "kw": "quoi", "quoa": "quoi",
    "jveu": "je veux", "jve": "je veux", "jv": "je veux", "jveux": "je veux", "jvx": "je veux",
    "jvoudrai": "je voudrais", "jvoudrais": "je voudrais", "veu": "veux", "vx": "veux",
    "jpeux": "je peux", "jpe": "je peux", "jpx": "je peux", "jpeu": "je peux",
    "jsais": "je sais", "jsp": "je sais pas", "jsai": "je sais", "chai": "je sais", "chais": "je sais",
    "jss": "je suis", "jsuis": "je suis", "chui": "je suis", "chuis": "je suis", "jsui": "je suis",
    "jcherche": "je cherche", "jcherch": "je cherche", "jcher": "je cherche",
    "c": "c est", "cest": "c est", "sest": "s est",
    "pr": "pour", "pour": "pour", "ds": "dans", "bcp": "beaucoup", "bcoup": "beaucoup",
    "fo": "faut", "fau": "faut", "tjr": "toujours", "tjrs": "toujours", "tjs": "toujours",
    "mm": "meme", "cb": "combien", "cmb": "combien", "cbn": "combien", "combi1": "combien", "combie": "combien",
    "cmt": "comment", "cmnt": "comment", "koman": "comment", "komen": "comment", "coment": "comment",
    "slt": "salut", "bjr": "bonjour", "bjour": "bonjour", "bnjr": "bonjour", "bsr": "bonsoir", "bsoir": "bonsoir",
    "mrc": "merci", "mci": "merci", "mrci": "merci", "merc": "merci", "thx": "merci",
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi",
    "qd": "quand", "kan": "quand", "qnd": "quand", "kand": "quand",
    "tt": "tout", "ts": "tous", "dc": "donc", "vs": "vous", "ns": "nous", "bi1": "bien", "b1": "bien",
    "auj": "aujourd hui", "ajd": "aujourd hui", "aujd": "aujourd hui", "dm1": "demain", "dmain": "demain",
    "keske": "est ce que", "kesk": "est ce que", "eske": "est ce que", "esque": "est ce que",
    "dac": "accord", "dak": "accord", "dacc": "accord", "daccord": "accord",
    "rdv": "rendez vous", "msg": "message", "pb": "probleme", "pblm": "probleme",
    "qqn": "quelqu un", "qqun": "quelqu un", "qlq": "quelque", "qlqs": "quelques", "qq": "quelques",
    "ptit": "petit", "ptite": "petite", "dsl": "desole", "tro": "trop", "oki": "ok", "okay": "ok", "okk": "ok",
    "wi": "oui", "ouai": "ouais", "wai": "ouais", "wesh": "wesh", "wsh": "wesh",
    "g": "ai", "jai": "ai", "ya": "il y a", "yaura": "il y aura", "yen": "il y en",
    "infos": "info", "formations": "formation", "formatio": "formation",
    "stp": "stp", "svp": "svp", "stpl": "stp", "stpp": "stp",
    "tkt": "t inquiete", "bb": "bebe", "kk1": "quelqu un", "kelk1": "quelqu un", "qlq1": "quelqu un",
}
_SMS_SPLIT = {key: tuple(value.split()) for key, value in SMS.items()}

_REPEAT = re.compile(r"(.)\1{2,}")


class Token(NamedTuple):
    text: str
    start: int  # offset in the original text
    end: int


def _fold(text: str) -> tuple[str, list[int]]:
    """Lowercase and strip accents; returns the folded text and, per folded char, its source index."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        lowered = char.lower()
        for piece in lowered:
            mapped = _SPECIAL.get(piece)
            if mapped is None:
                decomposed = unicodedata.normalize("NFKD", piece)
                mapped = "".join(c for c in decomposed if not unicodedata.combining(c))
            for folded in mapped:
                out.append(folded)
                origin.append(index)
    return "".join(out), origin


def _is_word_char(char: str) -> bool:
    return ("a" <= char <= "z") or ("0" <= char <= "9")


def _raw_tokens(text: str) -> list[tuple[str, int, int, bool]]:
    """Alphanumeric runs of the folded text: (word, start, end, followed_by_apostrophe)."""
    folded, origin = _fold(text)
    result: list[tuple[str, int, int, bool]] = []
    length = len(folded)
    i = 0
    while i < length:
        if not _is_word_char(folded[i]):
            i += 1
            continue
        j = i
        while j < length and _is_word_char(folded[j]):
            j += 1
        apostrophe = j < length and folded[j] in _APOSTROPHES
        result.append((folded[i:j], origin[i], origin[j - 1] + 1, apostrophe))
        i = j
    return result


def normalized_tokens(text: str) -> list[Token]:
    """Normalised tokens with their span in the original text."""
    if not text:
        return []
    text = text[:MAX_CHARS]
    out: list[Token] = []
    raw = _raw_tokens(text)
    for position, (word, start, end, apostrophe) in enumerate(raw):
        if apostrophe and word in _ELISIONS and position + 1 < len(raw):
            continue
        word = _REPEAT.sub(r"\1", word)
        expansion = _SMS_SPLIT.get(word)
        if expansion is None:
            out.append(Token(word, start, end))
        else:
            out.extend(Token(piece, start, end) for piece in expansion)
    return out


def tokens(text: str) -> list[str]:
    """Normalised tokens of ``text`` (see ``normalize``)."""
    return [token.text for token in normalized_tokens(text)]


def normalize(text: str) -> str:
    """Lowercase, accent-free, elision-free, SMS-expanded text with single spaces.

    >>> normalize("Jveu apprendre l'électricité à Baïla stp !!")
    'je veux apprendre electricite a baila stp'
    """
    return " ".join(tokens(text))


def fold(text: str) -> str:
    """Lowercase and accent-free only (no tokenisation, no SMS expansion)."""
    return _fold(text)[0]
