"""Keep personal data out of what we store and log.

``scrub`` is applied to any free text we keep (unanswered questions);
``redact_id`` is what logs show instead of a platform id.
"""
from __future__ import annotations

import hashlib
import re

PHONE = "[téléphone]"
EMAIL = "[email]"
NUMBER = "[numéro]"
LINK = "[lien]"
HANDLE = "[pseudo]"

_SEP = r"[\s.\-]?"

_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+"
    # Bare domains people type: wa.me/221..., t.me/xyz, site.sn/page
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|sn|fr|me|io|info|edu|gov|co|ly|gl)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
# Senegal: mobiles 70/75/76/77/78, fixed lines 33; optional +221 / 00221.
_PHONE_SN = re.compile(
    rf"(?<![\d+])(?:(?:\+|00)\s?221{_SEP})?(?:7[05678]|3[03])(?:{_SEP}\d){{7}}(?!\d)"
)
# France: 0X XX XX XX XX, +33 X XX XX XX XX, +33 (0)X ...
_PHONE_FR = re.compile(
    rf"(?<![\d+])(?:(?:\+|00)\s?33{_SEP}(?:\(0\)\s?)?|0)[1-9](?:{_SEP}\d{{2}}){{4}}(?!\d)"
)
# Anything else that starts with + or 00 and has enough digits to be a number.
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[\s.\-]?\(?\d{1,4}\)?){2,6}(?!\d)")
_DIGIT_RUN = re.compile(r"\d{6,}")


def _intl(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PHONE if 8 <= digits <= 15 else match.group(0)


def scrub(text: str) -> str:
    """Replace phone numbers, e-mails, links, @handles and long numbers by placeholders."""
    if not text:
        return ""
    # Order matters: e-mails look like domains, links contain digits.
    text = _EMAIL.sub(EMAIL, text)
    text = _URL.sub(LINK, text)
    text = _HANDLE.sub(HANDLE, text)
    text = _PHONE_SN.sub(PHONE, text)
    text = _PHONE_FR.sub(PHONE, text)
    text = _PHONE_INTL.sub(_intl, text)
    return _DIGIT_RUN.sub(NUMBER, text)


def redact_id(external_id: object) -> str:
    """A short stable token for logs, so one person's lines can be followed
    without ever writing the platform id (often a phone number)."""
    digest = hashlib.blake2b(
        str(external_id).encode("utf-8"), digest_size=5, person=b"terrapro-id"
    ).hexdigest()
    return f"u-{digest}"
