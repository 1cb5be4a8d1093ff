"""NLU benchmark: training time, parse throughput and latency, held-out scores.

Run: python bench/nlu_bench.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bot.nlu.dataset import load_examples
from bot.nlu.engine import NluEngine
from bot.nlu.evaluation import evaluate

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nlu-data", type=Path, default=REPO / "nlu_data")
    parser.add_argument("--heldout", type=Path, default=REPO / "tests" / "data" / "nlu_heldout.yml")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        engine = NluEngine.load_or_train(args.nlu_data, Path(cache))
        train_s = time.perf_counter() - started
        started = time.perf_counter()
        NluEngine.load_or_train(args.nlu_data, Path(cache))
        load_s = time.perf_counter() - started

    examples = load_examples(args.heldout)
    texts = [e.text for e in examples]
    latencies = []
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            t0 = time.perf_counter()
            engine.parse(text)
            latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    latencies.sort()
    report = evaluate(engine, examples)

    print(f"training time:      {train_s:.2f} s (cached reload {load_s:.2f} s)")
    print(f"parses per second:  {len(latencies) / total:,.0f} ({len(latencies)} parses, 1 process)")
    print(f"latency p50:        {statistics.median(latencies) * 1000:.3f} ms")
    print(f"latency p99:        {latencies[int(len(latencies) * 0.99) - 1] * 1000:.3f} ms")
    print(f"held-out messages:  {report.total}")
    print(f"held-out accuracy:  {report.accuracy:.3f}")
    print(f"held-out macro-F1:  {report.macro_f1:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
