from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.channels.telegram import TelegramInbox, application_running, build_application
from bot.core.messages import Button, IncomingMessage, MessageKind, Reply
from bot.core.pump import QueuePump
from bot.settings import Settings
from bot.storage.shared_keys import SqlSharedKeyStore
from tests.fakes.core import FakeCore
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

WEBHOOK_SECRET = "s3cret-Token_for_tests"


class EchoHandler(FakeCore):
    """A stand-in for the core: answers each kind differently and records what it got."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.delays: dict[str, float] = {}  # text -> seconds to "think"

    async def _answer(self, message: IncomingMessage) -> list[Reply]:
        self.received.append(message)
        await asyncio.sleep(self.delays.get(message.text, 0))
        if message.kind is MessageKind.BUTTON and message.payload == "/greet":
            return [Reply(
                "Bienvenue ! Que cherches-tu ?",
                buttons=(Button("Solaire", '/search_training{"filiere": "solaire"}'),
                         Button("Couture", '/search_training{"filiere": "couture"}'),
                         Button("Parler à un référent", "/handoff")),
            )]
        if message.kind is MessageKind.BUTTON:
            return [Reply(f"Choix : {message.text or '?'}")]
        if message.kind is MessageKind.TEXT:
            return [Reply(f"Écho : {message.text}")]
        return [Reply(f"Type : {message.kind.value}")]


class RecordingPersons:
    def __init__(self) -> None:
        self.unreachable: list[tuple[str, str]] = []
        self.inbound: list[tuple[str, str]] = []

    def mark_unreachable(self, channel: str, external_id: str) -> None:
        self.unreachable.append((channel, external_id))

    def touch_inbound(self, channel: str, external_id: str, at: datetime, *, create: bool = True) -> None:
        self.inbound.append((channel, external_id))

    def last_inbound(self, channel: str, external_id: str) -> datetime | None:
        return None


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI().start()
    yield api
    api.stop()


@pytest.fixture
def fake_api(_fake_server: FakeTelegramAPI) -> Iterator[FakeTelegramAPI]:
    _fake_server.reset()
    yield _fake_server
    assert _fake_server.unknown == [], f"the bot called methods the fake does not know: {_fake_server.unknown}"


@pytest.fixture
def settings(fake_api: FakeTelegramAPI, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        telegram_token=TOKEN,
        telegram_base_url=fake_api.base_url,
        telegram_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture
def handler() -> EchoHandler:
    return EchoHandler()


@pytest.fixture
def persons() -> RecordingPersons:
    return RecordingPersons()


@pytest.fixture
def shared_store(sqlite_db) -> SqlSharedKeyStore:
    return SqlSharedKeyStore(sqlite_db)


@pytest.fixture
def application(
    settings: Settings, handler: EchoHandler, persons: RecordingPersons, shared_store: SqlSharedKeyStore
) -> Application:
    return build_application(settings, handler, persons, shared_store)


@pytest.fixture
def telegram_inbox(application: Application, inbox: QueuePump) -> TelegramInbox:
    return TelegramInbox(application, inbox)


@pytest.fixture
async def polling_bot(application: Application, telegram_inbox: TelegramInbox) -> AsyncIterator[Application]:
    async with application_running(application, poller=telegram_inbox, poll_timeout=1):
        yield application
