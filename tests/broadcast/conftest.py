"""Fixtures for the broadcast tests: people, a fake clock, a recording outbound port."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bot.broadcast.compose import build_broadcast
from bot.catalogue.model import Event
from bot.channels.ratelimit import SlidingWindowLimiter
from bot.core.messages import Reply
from bot.core.outbound import ChannelPorts, Lane, SendResult, SendStatus
from bot.settings import Settings
from bot.storage.persons import PersonRepository
from bot.storage.subscriptions import SubscriptionRepository

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def make_event(event_id: str, day: date, territoire: str = "bignona", bassin: str = "Bignona") -> Event:
    return Event(
        id=event_id, territoire=territoire, titre=f"Portes ouvertes {event_id}", centre="CFP",
        date=day, heure="09:00", lieu="Bignona", description="Visite des ateliers.", source="exemple",
        bassin=bassin,
    )


EVENTS = [
    make_event("EVT-FUT", date(2026, 12, 12)),
    make_event("EVT-PAST", date(2026, 11, 7)),
    make_event("EVT-SAV", date(2027, 2, 6), territoire="savoie", bassin="Chambéry"),
]


@dataclass
class RecordingSender:
    """An outbound port that counts every send with its monotonic time.

    Paced like a channel's port: its own sliding-window limiter, paused by a scripted
    RETRY_LATER (a 429); calls ``on_write`` once its slot is granted. Behaviour per
    external id can be scripted (``sends`` records every attempt, whatever its result).
    """

    sends: list[tuple[str, float]] = field(default_factory=list)
    messages: list[Reply] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)
    script: dict[str, list[SendResult]] = field(default_factory=dict)
    delay: float = 0.0
    on_send: object = None
    limiter: SlidingWindowLimiter | None = None

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY, *, on_write=None, replying_to=None,
    ) -> SendResult:
        slot = await self.limiter.acquire(lane) if self.limiter is not None else None
        if on_write is not None:  # like a real port: right before the request is written
            try:
                await on_write()
            except BaseException:
                if slot is not None:
                    slot.cancel()
                raise
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.sends.append((external_id, time.monotonic()))
            self.messages.append(reply)
            self.lanes.append(lane)
            if self.on_send is not None:
                await self.on_send(external_id)  # type: ignore[operator]
        finally:
            if slot is not None:
                await slot.done()
        planned = self.script.get(external_id)
        result = planned.pop(0) if planned else SendResult.ok()
        if result.status is SendStatus.RETRY_LATER and self.limiter is not None:
            await self.limiter.pause(result.retry_after or 1.0)
        return result

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        return SendResult.failed("cannot edit")

    def ids(self) -> list[str]:
        return [external_id for external_id, _ in self.sends]


def ports_of(senders: dict, rate: float) -> ChannelPorts:
    ports = ChannelPorts()
    for channel, port in senders.items():
        if isinstance(port, RecordingSender) and port.limiter is None:
            port.limiter = SlidingWindowLimiter(rate)
        ports.register(channel, port)
    return ports


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def persons(db) -> PersonRepository:
    return PersonRepository(db)


@pytest.fixture
def subscriptions(db) -> SubscriptionRepository:
    return SubscriptionRepository(db)


@pytest.fixture
def add_people(persons, subscriptions):
    """add_people(n, territoire=..., bassin=..., filiere=..., subscribed=True, channel=...) -> ids."""

    def add(n: int, *, territoire="bignona", bassin=None, filiere=None, subscribed=True,
            channel="telegram", prefix="p", person_bassin=None) -> list[int]:
        ids = []
        start = len(prefix_counter.setdefault(prefix, []))
        for i in range(start, start + n):
            person = persons.get_or_create(channel, f"{prefix}{i}")
            prefix_counter[prefix].append(person.id)
            if person_bassin:
                persons.update(person.id, bassin=person_bassin)
            if subscribed:
                subscriptions.subscribe(person.id, territoire, bassin=bassin, filiere=filiere)
            ids.append(person.id)
        return ids

    prefix_counter: dict[str, list[int]] = {}
    return add


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def make_broadcast(db, subscriptions, clock):
    def make(senders, *, rate: float = 1000.0, concurrency=None, events=EVENTS):
        services = SimpleNamespace(
            settings=Settings(telegram_broadcast_rate=rate),
            db=db,
            subscriptions=subscriptions,
            catalogue=None,
            events=events,
        )
        return build_broadcast(services, ports_of(senders, rate), clock=clock, concurrency=concurrency)

    return make


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    """The most sends inside any window [t, t + window), t running over every send time."""
    times = sorted(times)
    best = 0
    j = 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best
