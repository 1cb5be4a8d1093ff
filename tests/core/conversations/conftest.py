"""Multi-turn conversations through the real core; every reply is checked for plain language."""
from __future__ import annotations

import re

import pytest

from tests.core.conftest import BIGNONA_WHATSAPP, SAVOIE_WHATSAPP, Chat
from tests.core.conversations.plain import problems

ASK_TERRITORY = "Bignona (Sénégal) ou en Savoie (France)"
BIGNONA_CENTRES = ("Aldabar", "Abéné", "Baïla", "Coubanao", "Diouloulou", "Thionck", "Centre départemental")
SAVOIE_CENTRES = ("AFPA", "Chambéry", "Mission locale", "E2C", "MFR", "Bourg-Saint-Maurice", "CIO", "Maurienne")


class PlainChat(Chat):
    """A Chat that fails the test as soon as a reply is too long or speaks jargon."""

    def __init__(self, *args, language: str = "fr", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.transcript: list[str] = []

    def _check(self, replies):
        for reply in replies:
            self.transcript.append(reply.text)
            assert not problems(reply.text, language=self.language), (problems(reply.text, language=self.language), reply.text)
        return replies

    async def say(self, text: str):
        return self._check(await super().say(text))

    async def press(self, title_part: str):
        return self._check(await super().press(title_part))

    async def send(self, **fields):
        return self._check(await super().send(**fields))

    @property
    def asked_territory(self) -> bool:
        return ASK_TERRITORY in self.text

    def times_asked(self) -> int:
        return sum(ASK_TERRITORY in t for t in self.transcript)


def course_lines(text: str) -> list[str]:
    return re.findall(r"^\d+\. .+$", text, flags=re.M)


def mentions_any(text: str, names: tuple[str, ...]) -> bool:
    return any(name in text for name in names)


@pytest.fixture
def unknown(services) -> PlainChat:
    """Someone on the terminal: no phone number, territory unknown."""
    return PlainChat(services.conversation, user="inconnu-1", channel="cli")


@pytest.fixture
def savoyard(services) -> PlainChat:
    return PlainChat(services.conversation, user=SAVOIE_WHATSAPP, channel="whatsapp")


@pytest.fixture
def bignonois(services) -> PlainChat:
    return PlainChat(services.conversation, user=BIGNONA_WHATSAPP, channel="whatsapp")
