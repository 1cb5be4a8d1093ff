"""Core benchmark: parses/s, searches/s, full message turn p50/p99, peak memory.

    .venv/bin/python bench/core_bench.py [--turns 2000]

Runs in one process on a throw-away SQLite database (the embedded default).
Targets on a 2-core machine: ≥ 2,000 parses/s, ≥ 500 searches/s, turn p99 ≤ 20 ms, < 300 MB.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_services  # noqa: E402
from bot.core.messages import IncomingMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402

MESSAGES = [
    "bonjour", "ou apprendre le solaire ?", "et a baila ?", "c'est combien ?",
    "formation mecanique a diouloulou", "dama bëgg jàng mekanik", "kel formation couture a kafountine",
    "c quand les portes ouvertes", "jveu parler a un referent stp", "merci", "je cherche du travail",
    "nanga def", "t'es un robot ?", "formation informatique bignona", "plomberi abene",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--parses", type=int, default=20000)
    parser.add_argument("--searches", type=int, default=5000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url="", redis_url="")
        started = time.perf_counter()
        services = build_services(settings, today=lambda: date(2026, 11, 26))
        startup = time.perf_counter() - started

        texts = [MESSAGES[i % len(MESSAGES)] for i in range(args.parses)]
        t0 = time.perf_counter()
        for text in texts:
            services.nlu.parse(text)
        parses_per_s = len(texts) / (time.perf_counter() - t0)

        queries = [MESSAGES[i % len(MESSAGES)] for i in range(args.searches)]
        t0 = time.perf_counter()
        for query in queries:
            services.search.search(query, limit=10)
        searches_per_s = len(queries) / (time.perf_counter() - t0)

        async def turns() -> list[float]:
            latencies = []
            for i in range(args.turns):
                message = IncomingMessage("cli", f"bench-{i % 50}", text=MESSAGES[i % len(MESSAGES)])
                t = time.perf_counter()
                await services.conversation.handle(message)
                latencies.append((time.perf_counter() - t) * 1000)
            return latencies

        latencies = asyncio.run(turns())
        services.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "startup_s": round(startup, 2),
        "parses_per_s": round(parses_per_s),
        "searches_per_s": round(searches_per_s),
        "turn_p50_ms": round(statistics.median(latencies), 2),
        "turn_p99_ms": round(percentile(latencies, 99), 2),
        "peak_rss_mb": round(peak_mb, 1),
    }
    print(f"démarrage (modèle en cache ou entraîné) : {result['startup_s']} s")
    print(f"analyses NLU / s                         : {result['parses_per_s']}")
    print(f"recherches catalogue / s                 : {result['searches_per_s']}")
    print(f"tour complet p50 / p99                   : {result['turn_p50_ms']} ms / {result['turn_p99_ms']} ms")
    print(f"mémoire max (RSS)                        : {result['peak_rss_mb']} Mo")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
