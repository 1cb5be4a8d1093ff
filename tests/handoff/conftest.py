"""Hand-off test rig: real repositories (SQLite and PostgreSQL), a recording outbound port, a settable clock."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.catalogue.loader import load_catalogue
from bot.core.messages import IncomingMessage, MessageKind, Reply
from bot.core.outbound import Lane, SendResult
from bot.handoff.compose import Handoff, build_handoff
from bot.settings import PROJECT_ROOT, Settings
from bot.storage.database import Database
from bot.storage.handoff import HandoffRepository
from bot.storage.persons import PersonRepository
from tests.fakes.core import FakeCore

# A Wednesday, 10:00 in Bignona (UTC+0): inside the permanence hours.
OPEN_HOURS = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = OPEN_HOURS) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    channel: str
    external_id: str
    reply: Reply
    ref: str | None


@dataclass
class FakeOutbox:
    """Records what would reach people; Telegram-like message ids so edits can be checked."""

    sent: list[Sent] = field(default_factory=list)
    edits: list[tuple[str, str, str, Reply]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    # external id -> results to answer before sending for real (e.g. a 429, a closed window).
    scripted: dict[str, list[SendResult]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(100)

    async def send(self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
                   *, replying_to=None, on_write=None) -> SendResult:
        if external_id in self.unreachable:
            return SendResult.unreachable("a bloqué le bot")
        if self.scripted.get(external_id):
            return self.scripted[external_id].pop(0)
        ref = str(next(self._ids)) if channel == "telegram" else None
        self.sent.append(Sent(channel, external_id, reply, ref))
        return SendResult.ok(ref)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        self.edits.append((channel, external_id, message_ref, reply))
        return SendResult.ok(message_ref)

    def to(self, external_id: str) -> list[Sent]:
        return [s for s in self.sent if s.external_id == external_id]

    def texts_to(self, external_id: str) -> list[str]:
        return [s.reply.text for s in self.to(external_id)]

    def edits_to(self, external_id: str) -> list[str]:
        return [e[3].text for e in self.edits if e[1] == external_id]

    def clear(self) -> None:
        self.sent.clear()
        self.edits.clear()


class GatedCore(FakeCore):
    """The ConversationService contract in miniature: person, gate, else the bot answers."""

    def __init__(self, persons: PersonRepository, gate) -> None:
        self._persons = persons
        self._gate = gate
        self.answered: list[IncomingMessage] = []

    async def _answer(self, message: IncomingMessage) -> list[Reply]:
        person = self._persons.get_or_create(message.channel, message.user_id, message.display_name)
        taken = await self._gate.intercept(person, message)
        if taken is not None:
            return taken
        self.answered.append(message)
        return [Reply(f"BOT: {message.text or message.payload}")]


@dataclass
class World:
    db: Database
    settings: Settings
    clock: FakeClock
    outbox: FakeOutbox
    persons: PersonRepository
    handoffs: HandoffRepository
    handoff: Handoff
    core: GatedCore

    @property
    def handler(self):
        return self.handoff.handler(self.core)

    def young(self, user_id: str, *, channel: str = "telegram", name: str = "Moussa", bassin: str | None = "Fogny"):
        person = self.persons.get_or_create(channel, user_id, name)
        if bassin:
            person = self.persons.update(person.id, bassin=bassin, territoire="bignona")
        return person

    def ask(self, person, summary: str = "Métier : Solaire · Lieu : Sindian"):
        """What action_talk_to_human does."""
        return self.handoffs.request(person.id, person.channel, person.bassin, {"last_intent": "ask_price"}, summary)

    async def say(self, user_id: str, text: str, *, channel: str = "telegram", name: str = "Moussa", **fields):
        return await self.handler.handle(
            IncomingMessage(channel, user_id, text=text, display_name=name, **fields))

    async def press(self, user_id: str, payload: str, *, channel: str = "telegram", name: str = "Moussa"):
        return await self.handler.handle(IncomingMessage(
            channel, user_id, text="", kind=MessageKind.BUTTON, payload=payload, display_name=name))

    def rebuilt(self) -> World:
        """New service objects on the same database: what a restart gives."""
        return make_world(self.db, self.clock, self.outbox, content_dir=self.settings.content_dir)


def make_world(db: Database, clock: FakeClock | None = None, outbox: FakeOutbox | None = None,
               *, renotify_minutes: int = 15, channels: tuple[str, ...] = ("telegram", "whatsapp"),
               content_dir: Path = PROJECT_ROOT / "content") -> World:
    settings = Settings(content_dir=content_dir, handoff_renotify_minutes=renotify_minutes, redis_url="")
    clock = clock or FakeClock()
    outbox = outbox or FakeOutbox()
    persons = PersonRepository(db)
    handoffs = HandoffRepository(db)
    handoff = build_handoff(settings, db=db, handoffs=handoffs, persons=persons,
                            catalogue=load_catalogue(settings.content_dir), clock=clock)
    for channel in channels:  # the ports this "process" has
        handoff.ports.register(channel, outbox)
    return World(db, settings, clock, outbox, persons, handoffs, handoff, GatedCore(persons, handoff.gate))


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


@pytest.fixture
def sqlite_world(sqlite_db: Database) -> World:
    return make_world(sqlite_db)
