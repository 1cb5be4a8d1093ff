"""Which way off the event loop for a turn's database work: thread pool or SQLAlchemy asyncio?

    .venv/bin/pip install -e '.[bench]'     # asyncpg, aiosqlite (only this bench needs them)
    .venv/bin/python bench/storage_async_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

A turn's storage work as the conversation does it (find the person, open ticket?,
load the state, the real NLU parse and catalogue search in between, save the state,
touch the person), for C people at once, in three ways:

- ``on-loop``: synchronous sessions on the event loop, one transaction per repository
  call (the code before this change);
- ``thread-pool``: the whole turn in a bounded pool of threads, one transaction
  (bot/storage/turns.py + unit_of_work: what the bot now does);
- ``asyncio``: SQLAlchemy's asyncio extension (asyncpg / aiosqlite), one transaction
  per turn, on the loop.

Reports turns/s and p50/p99 per concurrency. Same tables and statements in each.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402

from bot.app import build_catalogue_search, build_nlu  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import OPEN_TICKET_STATUSES, ConversationState, HandoffTicket, Person  # noqa: E402
from bot.storage.turns import TurnRunner  # noqa: E402
from bot.storage.unit_of_work import current_session  # noqa: E402

TEXTS = ["ou apprendre le solaire ?", "formation mecanique a diouloulou", "c'est combien ?", "merci",
         "kel formation couture a kafountine", "dama bëgg jàng mekanik"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Work:
    """The CPU part of a turn: the real NLU and catalogue search."""

    def __init__(self) -> None:
        settings = Settings()
        _catalogue, self.search = build_catalogue_search(settings)
        self.nlu = build_nlu(settings)

    def think(self, text: str) -> None:
        parse = self.nlu.parse(text)
        self.search.search(text, limit=5)
        return parse


def sync_turn(db: Database, work: Work, person_id: int, text_: str) -> None:
    def call(fn):
        joined = current_session(db)
        if joined is not None:
            return fn(joined)
        with db.session() as session:
            return fn(session)

    call(lambda s: s.scalars(select(Person).where(Person.channel == "cli", Person.external_id == f"p{person_id}")).first())
    call(lambda s: s.scalars(select(HandoffTicket).where(
        HandoffTicket.person_id == person_id, HandoffTicket.status.in_(OPEN_TICKET_STATUSES))).first())
    call(lambda s: s.get(ConversationState, person_id))
    work.think(text_)

    def save(s):
        row = s.get(ConversationState, person_id)
        row.data = {"slots": {"intent": text_[:10]}}
        row.version += 1

    call(save)
    call(lambda s: s.execute(text("UPDATE persons SET last_inbound_at = :at WHERE id = :id"),
                             {"at": datetime.now(timezone.utc), "id": person_id}))


async def async_turn(sessions: async_sessionmaker[AsyncSession], work: Work, person_id: int, text_: str) -> None:
    async with sessions() as s, s.begin():
        (await s.scalars(select(Person).where(Person.channel == "cli", Person.external_id == f"p{person_id}"))).first()
        (await s.scalars(select(HandoffTicket).where(
            HandoffTicket.person_id == person_id, HandoffTicket.status.in_(OPEN_TICKET_STATUSES)))).first()
        await s.get(ConversationState, person_id)
        work.think(text_)
        row = await s.get(ConversationState, person_id)
        row.data = {"slots": {"intent": text_[:10]}}
        row.version += 1
        await s.execute(text("UPDATE persons SET last_inbound_at = :at WHERE id = :id"),
                        {"at": datetime.now(timezone.utc), "id": person_id})


async def load(turn, concurrency: int, per_person: int) -> dict:
    latencies = []

    async def person(i):
        for n in range(per_person):
            t = time.perf_counter()
            await turn(i + 1, TEXTS[(i + n) % len(TEXTS)])
            latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "turns_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1), "p99_ms": round(percentile(latencies, 99), 1)}


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = "postgresql+asyncpg" if parsed.get_backend_name() == "postgresql" else "sqlite+aiosqlite"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


async def main_async(args) -> None:
    work = Work()
    schema = f"asyncbench_{uuid.uuid4().hex[:8]}"
    postgres = args.database.startswith("postgresql")
    db = Database.from_url(args.database, schema=schema) if postgres else Database.from_url(args.database)
    db.create_schema()
    people = max(args.concurrency)
    with db.session() as s:
        for i in range(1, people + 1):
            s.add(Person(id=i, channel="cli", external_id=f"p{i}"))
        s.flush()
        for i in range(1, people + 1):
            s.add(ConversationState(person_id=i, data={}, version=0))
    connect_args = {"server_settings": {"search_path": schema}} if postgres else {}
    async_engine = create_async_engine(async_url(args.database), connect_args=connect_args, pool_pre_ping=postgres)
    sessions = async_sessionmaker(async_engine, expire_on_commit=False)
    runner = TurnRunner(db, args.workers)

    async def on_loop(pid, t):
        sync_turn(db, work, pid, t)

    async def thread_pool(pid, t):
        async def turn():
            sync_turn(db, work, pid, t)
        await runner.run(turn)

    async def asyncio_ext(pid, t):
        await async_turn(sessions, work, pid, t)

    try:
        for name, turn in (("on-loop", on_loop), ("thread-pool", thread_pool), ("asyncio", asyncio_ext)):
            await load(turn, 4, 3)  # warm-up: connections, caches
            for c in args.concurrency:
                result = await load(turn, c, args.messages)
                print(json.dumps({"backend": db.dialect, "mode": name, "workers": args.workers, **result}))
    finally:
        runner.close()
        await async_engine.dispose()
        if postgres:
            db.drop_schema()
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
