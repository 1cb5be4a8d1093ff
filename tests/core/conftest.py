"""A real core (real NLU, catalogue, actions, SQLite) for conversation tests."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.app import build_services
from bot.core.messages import IncomingMessage, MessageKind, Reply
from bot.settings import Settings

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture
def settings(tmp_path, nlu_cache_dir) -> Settings:
    return Settings(data_dir=tmp_path / "data", nlu_cache_dir=nlu_cache_dir, redis_url="", database_url="")


@pytest.fixture
def services(settings):
    built = build_services(settings, today=lambda: TODAY)
    yield built
    built.close()


class Chat:
    """Talks to the core as one person would, keeping the last buttons."""

    def __init__(self, conversation, user: str = "jeune-1", channel: str = "cli") -> None:
        self.conversation = conversation
        self.user = user
        self.channel = channel
        self.last: list[Reply] = []

    async def say(self, text: str) -> list[Reply]:
        self.last = await self.conversation.handle(IncomingMessage(self.channel, self.user, text=text))
        return self.last

    async def press(self, title_part: str) -> list[Reply]:
        buttons = [b for r in self.last for b in r.buttons if title_part.lower() in b.title.lower()]
        assert buttons, f"no button containing {title_part!r} in {[b.title for r in self.last for b in r.buttons]}"
        self.last = await self.conversation.handle(
            IncomingMessage(self.channel, self.user, text=buttons[0].title, kind=MessageKind.BUTTON, payload=buttons[0].payload)
        )
        return self.last

    async def send(self, **fields) -> list[Reply]:
        self.last = await self.conversation.handle(IncomingMessage(self.channel, self.user, **fields))
        return self.last

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def button_titles(self) -> list[str]:
        return [b.title for r in self.last for b in r.buttons]


# The default young person writes from a Senegalese WhatsApp number (+221): their territory,
# Bignona, is known from the first message. Conversations about an unknown territory use
# ``Chat(services.conversation)`` (the terminal, no number) — see test_territory.py.
BIGNONA_WHATSAPP = "221770000001"
SAVOIE_WHATSAPP = "33612345678"


@pytest.fixture
def chat(services) -> Chat:
    return Chat(services.conversation, user=BIGNONA_WHATSAPP, channel="whatsapp")
