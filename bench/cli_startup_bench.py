"""Wall time of coordinator commands on a fresh data dir (new SQLite, no NLU cache).

    .venv/bin/python bench/cli_startup_bench.py [--runs 3] [--repo DIR]

``--repo`` runs the commands of another checkout (e.g. ``git archive main | tar -x -C /tmp/before``)
with this venv, for a before/after comparison.

Each run is a new process in a new empty data dir, so it includes creating and
migrating the database: what a coordinator waits for the first time.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    ["broadcast", "list"],
    ["referent", "list"],
    ["stats", "handoff"],
    ["db", "upgrade"],
)


def time_command(command: list[str], repo: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process; CPU time varies less on a busy machine."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "TERRAPRO_DATA_DIR": data_dir, "TERRAPRO_DATABASE_URL": "", "TERRAPRO_REDIS_URL": "",
               "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("TERRAPRO_NLU_CACHE_DIR", None)  # a cached model elsewhere would hide the cost
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", *command], env=env, check=True,
                       stdout=subprocess.DEVNULL, cwd=repo)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("commands", nargs="*", help="one command, e.g. broadcast list (default: all)")
    args = parser.parse_args()
    runs, repo = args.runs, args.repo.resolve()
    commands = [args.commands] if args.commands else COMMANDS
    print(f"{repo}: load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPU); {runs} runs each, fresh data dir")
    print(f"{'command':<18} {'wall p50':>9} {'wall max':>9} {'CPU p50':>8}")
    for command in commands:
        walls, cpus = zip(*(time_command(command, repo) for _ in range(runs)))
        print(f"{' '.join(command):<18} {statistics.median(walls):>8.2f}s {max(walls):>8.2f}s "
              f"{statistics.median(cpus):>7.2f}s")


if __name__ == "__main__":
    main()
