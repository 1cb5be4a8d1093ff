from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.whatsapp import WhatsAppChannel, build_whatsapp
from bot.core.messages import IncomingMessage, Reply
from bot.settings import Settings
from bot.storage.base import Base
from bot.storage.database import Database
from bot.storage.delivery_status import DeliveryStatusRepository, OutgoingStatus, SendErrorCount
from bot.storage.shared_keys import SharedEntry, SqlSharedKeyStore
from bot.web import create_app
from tests.fakes.core import FakeCore
from tests.fakes.graph_api import FakeGraphAPI

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"
PHONE_NUMBER_ID = "123456789012345"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verif-123"
WA_ID = "221770000001"
# Just after the recorded payloads' timestamp (2026-01-01 00:00 UTC).
T0 = datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def text_payload(wa_id: str, message_id: str, body: str, name: str = "Awa Diatta") -> dict[str, Any]:
    payload = load("text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0].update({"wa_id": wa_id, "profile": {"name": name}})
    value["messages"][0].update({"from": wa_id, "id": message_id, "text": {"body": body}})
    return payload


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class FakePersons:
    def __init__(self) -> None:
        self.inbound: dict[tuple[str, str], datetime] = {}
        self.unreachable: set[tuple[str, str]] = set()

    def mark_unreachable(self, channel: str, external_id: str) -> None:
        self.unreachable.add((channel, external_id))

    def touch_inbound(self, channel: str, external_id: str, at: datetime, *, create: bool = True) -> None:
        self.inbound[(channel, external_id)] = at

    def last_inbound(self, channel: str, external_id: str) -> datetime | None:
        return self.inbound.get((channel, external_id))


class RecordingHandler(FakeCore):
    """Answers "Reçu : <text>" (or ``replies``); records what it got, in order."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.finished: list[str] = []
        self.replies: list[Reply] | None = None
        self.delays: dict[str, float] = {}
        self.fail_with: Exception | None = None

    async def _answer(self, message: IncomingMessage) -> list[Reply]:
        self.received.append(message)
        await asyncio.sleep(self.delays.get(message.text, 0))
        self.finished.append(message.text)
        if self.fail_with:
            raise self.fail_with
        if self.replies is not None:
            return list(self.replies)
        return [Reply(f"Reçu : {message.text or message.kind.value}")]


@pytest.fixture
def graph_api() -> Iterator[FakeGraphAPI]:
    fake = FakeGraphAPI().start()
    yield fake
    fake.stop()


@pytest.fixture
def wa_db(tmp_path: Path) -> Iterator[Database]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'wa.sqlite3'}")
    Base.metadata.create_all(
        db.engine, tables=[OutgoingStatus.__table__, SendErrorCount.__table__, SharedEntry.__table__]
    )
    yield db
    db.dispose()


@pytest.fixture
def status_repo(wa_db: Database) -> DeliveryStatusRepository:
    return DeliveryStatusRepository(wa_db)


@pytest.fixture
def shared(wa_db: Database) -> SqlSharedKeyStore:
    return SqlSharedKeyStore(wa_db)


@pytest.fixture
def settings(graph_api: FakeGraphAPI, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        whatsapp_token="test-token",
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_api_base_url=graph_api.base_url,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_app_secret=APP_SECRET,
        dev_mode="",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def persons() -> FakePersons:
    return FakePersons()


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
async def channel(settings, handler, persons, status_repo, shared, clock, inbox) -> AsyncIterator[WhatsAppChannel]:
    built = build_whatsapp(settings, handler, persons, status_repo, shared, inbox=inbox, clock=clock, backoff=0.01)
    yield built
    await built.aclose()


@pytest.fixture
async def client(channel: WhatsAppChannel) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(channel.routes)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def post_signed(client: httpx.AsyncClient, payload: Any, secret: str = APP_SECRET) -> httpx.Response:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await client.post(
        "/webhooks/whatsapp",
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)},
    )
