"""How long a full garbage collection holds the GIL in a built app, before and after
``freeze_startup_heap`` (bot/observability/heap.py), which `serve` and `telegram` call.

    .venv/bin/python bench/gc_pause.py
"""
from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app  # noqa: E402
from bot.observability.heap import freeze_startup_heap  # noqa: E402
from bot.settings import Settings  # noqa: E402


def full_collection_ms(runs: int = 5) -> float:
    """The median of ``runs`` full collections."""
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        gc.collect()
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)[len(took) // 2]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="terrapro-gc-"))
    app = build_app(Settings(data_dir=work / "data", nlu_cache_dir=work / "nlu-cache"))
    built = app.conversation  # what `serve` builds before it serves: catalogue, search, NLU model, storage
    tracked = len(gc.get_objects())
    before = full_collection_ms()
    frozen = freeze_startup_heap()
    after = full_collection_ms()
    print(f"objects tracked after start-up: {tracked}; frozen: {frozen} ({type(built).__name__} built)")
    print(f"full collection (median of 5): {before:.1f} ms before the freeze, {after:.2f} ms after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
