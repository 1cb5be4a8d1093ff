"""Message-turn throughput: many people writing at once, one process, SQLite or PostgreSQL.

    .venv/bin/python bench/turn_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --concurrency 1 8 32 --messages 25 [--turn-workers N]

Each of C people sends ``--messages`` messages one after the other (the next once the
previous one is answered), all C at once, through the real ConversationService
(NLU, policy, actions, repositories). Reports answered turns/s, p50/p99 turn latency
and the worst event-loop lag seen meanwhile (a 5 ms ticker: how long the loop was
blocked). On PostgreSQL a fresh database is created and dropped. Only uses what
both the code before and after the async-storage change have (build_services,
conversation.handle), so the same file runs on either checkout; ``--turn-workers``
is ignored where Settings has no such field.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.core.messages import IncomingMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402

MESSAGES = [
    "bonjour", "ou apprendre le solaire ?", "et a baila ?", "c'est combien ?",
    "formation mecanique a diouloulou", "dama bëgg jàng mekanik", "kel formation couture a kafountine",
    "c quand les portes ouvertes", "merci", "je cherche du travail",
    "nanga def", "t'es un robot ?", "formation informatique bignona", "plomberi abene",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class FreshPostgres:
    """CREATE DATABASE for the run, DROP afterwards (works whatever the code's schema support)."""

    def __init__(self, url: str) -> None:
        self.admin_url = url
        self.name = f"turnbench_{uuid.uuid4().hex[:10]}"
        self.url = make_url(url).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        engine.dispose()
        return self.url

    def __exit__(self, *exc) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


async def run_load(conversation, concurrency: int, messages: int, tag: str) -> dict[str, float]:
    latencies: list[float] = []
    lag = {"max": 0.0}
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lag["max"] = max(lag["max"], time.perf_counter() - t - 0.005)

    async def person(i: int) -> None:
        for n in range(messages):
            message = IncomingMessage("cli", f"{tag}-{i}", text=MESSAGES[(i + n) % len(MESSAGES)])
            t = time.perf_counter()
            await conversation.handle(message)
            latencies.append((time.perf_counter() - t) * 1000)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    await asyncio.gather(*(person(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    stop.set()
    await tick
    return {
        "concurrency": concurrency,
        "turns": len(latencies),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_loop_lag_ms": round(lag["max"] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="", help="SQLAlchemy URL; empty: SQLite in a temp dir")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--messages", type=int, default=25, help="messages per person")
    parser.add_argument("--turn-workers", type=int, default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pg = FreshPostgres(args.database) if args.database.startswith("postgresql") else None
        url = pg.__enter__() if pg else ""
        try:
            fields = {"data_dir": Path(tmp), "database_url": url, "redis_url": "",
                      "nlu_cache_dir": Path(tempfile.gettempdir()) / "terrapro-bench-nlu"}
            if args.turn_workers is not None and "turn_workers" in Settings.model_fields:
                fields["turn_workers"] = args.turn_workers
            settings = Settings(**fields)
            services = build_services(settings, today=lambda: date(2026, 11, 26))

            async def all_loads() -> list[dict[str, float]]:
                await run_load(services.conversation, 4, 3, "warmup")
                return [await run_load(services.conversation, c, args.messages, f"c{c}") for c in args.concurrency]

            results = asyncio.run(all_loads())
            services.close()
        finally:
            if pg:
                pg.__exit__()
    backend = "postgresql" if pg else "sqlite"
    workers = getattr(settings, "turn_workers", "n/a")
    for r in results:
        print(json.dumps({"label": args.label, "backend": backend, "turn_workers": workers, **r}))


if __name__ == "__main__":
    main()
