"""End-to-end load on `terrapro serve`: signed WhatsApp webhooks in, replies at a fake Graph API.

    .venv/bin/python bench/webhook_load.py --setup sqlite --rate 100 --seconds 20
    .venv/bin/python bench/webhook_load.py --setup pg2 --rate 150 --seconds 20
    .venv/bin/python bench/webhook_load.py --setup sqlite --burst 5000

`sqlite`: one serve process on SQLite. `pg2`: two serve processes on PostgreSQL + Redis
(a fresh database on TERRAPRO_TEST_POSTGRES_URL's server), posts alternating between them.
The generator offers --rate messages/s from --people people (open loop: it does not wait
for answers), retries a 503 or a refused connection like Meta does, and the fake Graph
API (30 ms per call) timestamps every reply. Reported: answered msg/s over the run, p50/p99
from POST to reply, 503s, lost messages (accepted, never answered) and the servers' peak RSS.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import hmac
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lean_http import LeanGraphAPI, LeanPoster  # noqa: E402
from bot.app import build_nlu  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.processes import BotProcess, free_port  # noqa: E402

SECRET = "load-bench-app-secret"
PHONE_ID = "100200300"
POSTGRES = os.environ.get("TERRAPRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TERRAPRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def body(wa_id: str, message_id: str, text: str) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
            "contacts": [{"wa_id": wa_id, "profile": {"name": "Awa"}}],
            "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}]}}]}]}).encode()


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_by_pid(pids).values())


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second (new ones in full)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def pids_named(*names: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def postgres_pids() -> list[int]:
    return pids_named("postgres", "postmaster")


def redis_pids() -> list[int]:
    """The local Redis server (the whole server: other clients would count too)."""
    return pids_named("redis-server")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def requests(people: int, total: int) -> list[tuple[tuple[str, int], bytes, str]]:
    """Every request, built and signed before the clock starts: (message key, body, signature)."""
    built = []
    sent_per_person: dict[str, int] = defaultdict(int)
    for n in range(total):
        wa_id = f"2217{n % people:08d}"
        k = sent_per_person[wa_id]
        sent_per_person[wa_id] += 1
        raw = body(wa_id, f"wamid.load.{n}", f"formation zork{k:03d}")
        built.append(((wa_id, k), raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()))
    return built


async def offer(ports: list[int], built: list, rate: float | None) -> tuple[dict, int, int]:
    """Post every request (open loop at ``rate``); returns {message_key: post_time}, 503s, connection errors."""
    posted: dict[tuple[str, int], float] = {}
    busy = refused = 0
    posters = [LeanPoster(port) for port in ports]

    async def one(n: int, started: float) -> None:
        nonlocal busy, refused
        key, raw, signature = built[n]
        poster = posters[n % len(posters)]
        while True:
            try:
                status = await poster.post("/webhooks/whatsapp", raw, {"X-Hub-Signature-256": signature})
            except ConnectionError:
                refused += 1
                await asyncio.sleep(0.5)
                continue
            if status == 200:
                posted[key] = started
                return
            busy += 1
            await asyncio.sleep(1.0)  # Meta backs off and redelivers

    tasks = []
    start = time.monotonic()
    for n in range(len(built)):
        due = start + n / rate if rate else start
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        # Latency counts from when the message was due: time queued in the generator is included.
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    return posted, busy, refused


def answers(graph: LeanGraphAPI) -> dict[tuple[str, int], float]:
    got = {}
    for m in list(graph.messages):
        found = re.search(rb"zork(\d+)", m.body)
        if found:
            got.setdefault((m.to, int(found.group(1))), m.at)
    return got


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", choices=["sqlite", "pg2"], default="sqlite")
    parser.add_argument("--rate", type=float, default=100.0, help="messages offered per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--burst", type=int, default=0, help="post this many at once instead of a rate")
    parser.add_argument("--latency", type=float, default=0.03, help="fake Graph API seconds per call")
    parser.add_argument("--window", type=float, default=5.0, help="seconds per line of the p99 timeline")
    parser.add_argument("--max-backlog", type=int, default=0,
                        help="TERRAPRO_INBOX_MAX_BACKLOG for the servers (past it: 503), default the setting's")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="terrapro-load-"))
    cache = work / "nlu-cache"
    build_nlu(Settings(data_dir=work / "train", nlu_cache_dir=cache))
    graph = LeanGraphAPI(latency=args.latency).start()
    env = {
        "TERRAPRO_DATA_DIR": str(work / "data"), "TERRAPRO_NLU_CACHE_DIR": str(cache),
        "TERRAPRO_WHATSAPP_TOKEN": "t", "TERRAPRO_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "TERRAPRO_WHATSAPP_API_BASE_URL": graph.base_url, "TERRAPRO_WHATSAPP_APP_SECRET": SECRET,
        "TERRAPRO_WHATSAPP_VERIFY_TOKEN": "v", "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
        "TERRAPRO_FLOOD_LIMIT_PER_MINUTE": "100000",
        # The number's send rate: Meta's higher tiers allow up to 1,000 messages/s; the default
        # (50/s, shared by all processes) would cap the answers below what the servers can do.
        "TERRAPRO_WHATSAPP_SEND_RATE": "500",
    }
    if args.max_backlog:
        env["TERRAPRO_INBOX_MAX_BACKLOG"] = str(args.max_backlog)
    database = None
    count = 1
    if args.setup == "pg2":
        import sqlalchemy

        database = f"t_load_{uuid.uuid4().hex[:10]}"
        admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{database}"'))
        env["TERRAPRO_DATABASE_URL"] = (
            sqlalchemy.engine.make_url(POSTGRES).set(database=database).render_as_string(hide_password=False)
        )
        from bot.storage.database import Database
        from bot.storage.schema import upgrade

        migrated = Database.from_url(env["TERRAPRO_DATABASE_URL"])
        upgrade(migrated)  # `terrapro db upgrade`, once, before the processes start
        migrated.dispose()
        env["TERRAPRO_REDIS_URL"] = REDIS
        count = 2
    ports = [free_port() for _ in range(count)]
    servers = [BotProcess(["serve", "--port", str(p)], env, work / f"serve{i}.log",
                          health_url=f"http://127.0.0.1:{p}/health") for i, p in enumerate(ports)]
    peak_rss = 0.0
    try:
        for server in servers:
            server.start()
        total = args.burst or int(args.rate * args.seconds)
        built = requests(args.people, total)
        server_pids = [s.proc.pid for s in servers if s.proc]
        cpu_before = (cpu_seconds(server_pids), cpu_by_pid(postgres_pids()), time.process_time(),
                      cpu_by_pid(redis_pids()))
        # The generator and the fake Graph API time what they measure: a full collection of
        # this process (80 ms seen mid-run) would count as the servers' latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        t0 = time.monotonic()
        loop = asyncio.new_event_loop()
        offering = loop.create_task(offer(ports, built, None if args.burst else args.rate))
        while not offering.done():
            loop.run_until_complete(asyncio.sleep(0.25))
            peak_rss = max(peak_rss, sum(rss_mb(s.proc.pid) for s in servers if s.proc))
        posted, busy, refused = offering.result()
        deadline = time.monotonic() + max(60.0, total / 50)
        while time.monotonic() < deadline and len(answers(graph)) < len(posted):
            time.sleep(0.25)
            peak_rss = max(peak_rss, sum(rss_mb(s.proc.pid) for s in servers if s.proc))
        got = answers(graph)
        t_end = max(got.values()) if got else time.monotonic()
        cpu_after = (cpu_seconds(server_pids), cpu_by_pid(postgres_pids()), time.process_time(),
                     cpu_by_pid(redis_pids()))
    finally:
        gc.enable()
        for server in servers:
            server.stop()
        graph.stop()
        if database:
            with admin.connect() as conn:
                conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    latencies = sorted(got[k] - posted[k] for k in posted if k in got)
    lost = sum(1 for k in posted if k not in got)
    def p(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    offered = f"burst {args.burst}" if args.burst else f"{args.rate:.0f} msg/s"
    print(f"setup={args.setup} processes={count} offered={offered}"
          f" people={args.people} graph_latency={args.latency * 1000:.0f}ms")
    print(f"accepted {len(posted)}/{total}, answered {len(latencies)}, lost {lost}, 503s {busy}, refused {refused}")
    print(f"answered/s over the run {len(latencies) / max(1e-9, t_end - t0):.1f}; "
          f"POST->reply p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, "
          f"mean {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.0f} ms; "
          f"servers' peak RSS {peak_rss:.0f} MB")
    if not args.burst and latencies:
        # Where the tail is: the first seconds carry every person's first message (a new row,
        # more work per turn) on a fresh database.
        windows: dict[int, list[float]] = defaultdict(list)
        for k in posted:
            if k in got:
                windows[int((posted[k] - t0) // args.window)].append(got[k] - posted[k])
        print(f"POST->reply p99 per {args.window:g} s of posting: " + ", ".join(
            f"{w * args.window:g}-{(w + 1) * args.window:g} s {sorted(v)[min(len(v) - 1, int(0.99 * len(v)))] * 1000:.0f} ms"
            for w, v in sorted(windows.items())
        ))
    per = 1000 / max(1, len(latencies))
    spent = [cpu_after[0] - cpu_before[0], cpu_spent(cpu_before[1], cpu_after[1]), cpu_after[2] - cpu_before[2],
             cpu_spent(cpu_before[3], cpu_after[3])]
    redis = f", Redis {spent[3] * per:.1f} ms" if args.setup == "pg2" else ""
    print(f"CPU per answered message: servers {spent[0] * per:.1f} ms, PostgreSQL {spent[1] * per:.1f} ms{redis}, "
          f"load generator + fake Graph API {spent[2] * per:.1f} ms (the machine's cores are shared by all of them)")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
