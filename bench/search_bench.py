"""Catalogue search benchmark: searches/s, p50/p99 latency and accuracy over tests/data/search_queries.yml.

    .venv/bin/python bench/search_bench.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import statistics
import time

from bot.catalogue.evaluation import evaluate, load_queries, run
from bot.catalogue.loader import load_catalogue
from bot.catalogue.search import CatalogueSearch
from bot.nlu.vocabulary import load_synonyms
from bot.settings import PROJECT_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--queries", default=str(PROJECT_ROOT / "tests" / "data" / "search_queries.yml"))
    args = parser.parse_args()

    started = time.perf_counter()
    engine = CatalogueSearch(load_catalogue(PROJECT_ROOT / "content"), load_synonyms(PROJECT_ROOT / "nlu_data"))
    build_ms = (time.perf_counter() - started) * 1000
    queries = load_queries(args.queries)

    for query in queries:  # warm-up
        run(engine, query)
    latencies = []
    wall = time.perf_counter()
    for _ in range(args.rounds):
        for query in queries:
            t0 = time.perf_counter()
            run(engine, query)
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - wall
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]

    result = evaluate(engine, queries)
    print(f"index build            {build_ms:.1f} ms ({len(engine.catalogue.courses)} formations)")
    print(f"searches               {len(latencies)} ({len(queries)} queries x {args.rounds})")
    print(f"throughput             {len(latencies) / elapsed:.0f} searches/s (single process)")
    print(f"latency p50 / p99      {statistics.median(latencies) * 1000:.3f} / {p99 * 1000:.3f} ms")
    print(f"filière in top 3       {result.filiere_top3}/{result.filiere_total} ({result.filiere_rate:.1%})")
    print(f"place/centre first     {result.first_ok}/{result.first_total}")
    print(f"no-match queries empty {result.empty_ok}/{result.empty_total}")
    for failure in result.failures:
        print(f"  FAIL {failure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
