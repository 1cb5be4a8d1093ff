"""Broadcast delivery benchmark against a local fake messaging API (real HTTP, httpx).

    .venv/bin/python bench/broadcast_bench.py [--recipients 2000] [--rate 100] [--kill-after 8]
                                              [--database-url postgresql+psycopg://...]

1. One process delivers a campaign to N subscribers at the configured rate.
2. Same again, but the sending process is SIGKILLed after --kill-after seconds and
   a new process resumes the campaign.
The fake API (a thread of this process) timestamps every message it receives, so
rates and duplicates are measured where the platform would measure them.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.broadcast.compose import build_broadcast  # noqa: E402
from bot.channels.ratelimit import SlidingWindowLimiter  # noqa: E402
from bot.core.messages import Reply  # noqa: E402
from bot.core.outbound import ChannelPorts, Lane, SendResult, WriteHook  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage import schema  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import Person, Subscription  # noqa: E402
from bot.storage.subscriptions import SubscriptionRepository  # noqa: E402

# --- the fake platform ------------------------------------------------------------------

class FakeApi:
    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        # Seconds the API takes to answer after receiving (a real platform is not instant).
        self.latency = 0.0
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like a real API
            # Buffered: headers and body leave in one segment, no 40 ms Nagle/delayed-ACK stall.
            wbufsize = -1

            def setup(self) -> None:
                super().setup()
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                chat_id = str(json.loads(body)["chat_id"])
                with api._lock:
                    api.received.append((time.time(), chat_id))
                if api.latency:
                    time.sleep(api.latency)
                self._answer(200, b'{"ok":true}')

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # The killed sender drops its connections mid-request: expected, not worth a traceback.
        self.server.handle_error = lambda request, client_address: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self.received)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()


class HttpPort:
    """An outbound port over the fake API, the way a channel's port talks to its platform:
    its own sliding-window limiter (lanes), paused by a 429."""

    def __init__(self, client: httpx.AsyncClient, url: str, rate: float) -> None:
        self._client = client
        self._url = url
        self.limiter = SlidingWindowLimiter(rate)

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, on_write: WriteHook | None = None, replying_to=None,
    ) -> SendResult:
        slot = await self.limiter.acquire(lane)
        if on_write is not None:
            try:
                await on_write()
            except BaseException:
                slot.cancel()
                raise
        try:
            response = await self._client.post(
                f"{self._url}/sendMessage", json={"chat_id": external_id, "text": reply.text}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            return SendResult.not_sent("réseau : connexion impossible")
        except httpx.HTTPError:
            return SendResult.uncertain("réseau : sans réponse")
        finally:
            await slot.done()
        if response.status_code == 200:
            return SendResult.ok()
        if response.status_code == 429:
            delay = float(response.headers.get("Retry-After", "1"))
            await self.limiter.pause(delay)
            return SendResult.retry_later(delay)
        if response.status_code == 403:
            return SendResult.unreachable("a bloqué le bot")
        return SendResult.failed(f"http {response.status_code}")

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        return SendResult.failed("bench: no edit")


# --- helpers ---------------------------------------------------------------------------

BENCH_SCHEMA = "bench_broadcast"  # PostgreSQL: never touch the tables of the public schema


def _db(database_url: str) -> Database:
    schema = BENCH_SCHEMA if database_url.startswith("postgresql") else None
    return Database.from_url(database_url, schema=schema)


def _services(database_url: str, rate: float):
    db = _db(database_url)
    return SimpleNamespace(
        settings=Settings(telegram_broadcast_rate=rate, database_url=database_url),
        db=db, subscriptions=SubscriptionRepository(db), catalogue=None, events=[],
    )


def seed(database_url: str, recipients: int) -> None:
    db = _db(database_url)
    schema.upgrade(db)
    with db.session() as session:
        session.execute(Person.__table__.delete())
        session.execute(
            Person.__table__.insert(),
            [{"channel": "telegram", "external_id": f"{100000 + i}", "language": "fr", "status": "active"}
             for i in range(recipients)],
        )
        ids = [row[0] for row in session.execute(Person.__table__.select().with_only_columns(Person.id))]
        session.execute(
            Subscription.__table__.insert(),
            [{"person_id": pid, "territoire": "bignona"} for pid in ids],
        )
    db.dispose()


def create_campaign(database_url: str, rate: float) -> int:
    services = _services(database_url, rate)
    b = build_broadcast(services, ChannelPorts())
    campaign = b.service.create("Portes ouvertes du CFP samedi 9 h !", territoire="bignona")
    services.db.dispose()
    return campaign.id


async def send_campaign(database_url: str, api_url: str, campaign_id: int, rate: float):
    services = _services(database_url, rate)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        ports = ChannelPorts()
        ports.register("telegram", HttpPort(client, api_url, rate))
        b = build_broadcast(services, ports)
        summary = await b.service.send(campaign_id)
    services.db.dispose()
    return summary


def window_stats(times: list[float], limit: int) -> tuple[int, int]:
    """(most sends in any 1 s window, number of windows [t, t+1) starting at a send that exceed the limit)."""
    times = sorted(times)
    best = over = j = 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + 1.0:
            j += 1
        best = max(best, j - i)
        over += (j - i) > limit
    return best, over


def row_counts(database_url: str, campaign_id: int) -> dict[str, int]:
    from bot.storage.campaigns import CampaignRepository

    db = _db(database_url)
    try:
        return CampaignRepository(db).counts(campaign_id)
    finally:
        db.dispose()


def report(title: str, received: list[tuple[float, str]], rate: float) -> dict[str, float]:
    times = [t for t, _ in received]
    dupes = sum(n - 1 for n in Counter(chat for _, chat in received).values() if n > 1)
    span = (max(times) - min(times)) if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span else 0.0
    best, over = window_stats(times, int(rate))
    print(f"\n== {title}")
    print(f"messages reçus par l'API : {len(times)} ; doublons : {dupes}")
    print(f"débit obtenu : {achieved:.1f} msg/s pour {rate:g} configurés ({100 * achieved / rate:.1f} %)")
    print(f"max dans une fenêtre d'1 s : {best} ; fenêtres au-dessus de {int(rate)} : {over}")
    return {"received": len(times), "duplicates": dupes, "achieved": achieved, "max_window": best, "over": over}


# --- main ------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--kill-after", type=float, default=8.0)
    parser.add_argument("--kill-latency", type=float, default=0.03,
                        help="API answer delay in the kill run, so the kill lands on sends in flight")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child-send", nargs=2, metavar=("API_URL", "CAMPAIGN_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_send:
        api_url, campaign_id = args.child_send
        summary = asyncio.run(send_campaign(args.database_url, api_url, int(campaign_id), args.rate))
        print(json.dumps({"sent_this_run": summary.sent_this_run, "uncertain": summary.uncertain,
                          "sent": summary.sent, "queued": summary.queued, "done": summary.done}))
        return 0

    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite3"
    api = FakeApi()
    print(f"{args.recipients} destinataires, {args.rate:g} msg/s configurés, base {database_url.split(':')[0]}")

    # 1. Uninterrupted delivery.
    seed(database_url, args.recipients)
    campaign = create_campaign(database_url, args.rate)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def child(campaign_id: int) -> list[str]:
        # The sender runs in its own process, as `terrapro broadcast send` would.
        return [sys.executable, __file__, "--database-url", database_url, "--rate", str(args.rate),
                "--child-send", api.url, str(campaign_id)]

    started = time.monotonic()
    done = subprocess.run(child(campaign), env=env, capture_output=True, text=True, check=True)
    wall = time.monotonic() - started
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    first = report("envoi sans interruption", api.snapshot(), args.rate)
    print(f"durée totale du processus (démarrage compris) : {wall:.1f} s ; "
          f"envoyés {summary['sent']}, terminée {summary['done']}")

    # 2. Killed in the middle, resumed by a new process.
    api.reset()
    api.latency = args.kill_latency
    seed(database_url, args.recipients)
    campaign = create_campaign(database_url, args.rate)
    victim = subprocess.Popen(child(campaign), env=env, stdout=subprocess.DEVNULL)
    time.sleep(args.kill_after)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    before = api.snapshot()
    left = row_counts(database_url, campaign)
    print(f"\n(latence de l'API : {1000 * api.latency:.0f} ms)")
    print(f"tué après {args.kill_after:g} s : {len(before)} reçus, lignes {left}")
    resumed = subprocess.run(child(campaign), env=env, capture_output=True, text=True, check=True)
    result = json.loads(resumed.stdout.strip().splitlines()[-1])
    second = report("tué puis repris", api.snapshot(), args.rate)
    final = row_counts(database_url, campaign)
    delivered_uncertain = len({c for _, c in api.snapshot()}) - final["sent"]
    print(f"reprise : {result['sent_this_run']} envoyés ; lignes incertaines (parties sans réponse, non renvoyées) : "
          f"{result['uncertain']} dont {delivered_uncertain} effectivement reçues par l'API")
    print(f"lignes finales : {final}")

    ok = (first["achieved"] >= 0.95 * args.rate and first["over"] == 0 and first["duplicates"] == 0
          and second["duplicates"] == 0 and second["over"] == 0)
    print("\nRÉSULTAT :", "OK" if ok else "ÉCHEC")
    api.server.shutdown()
    if database_url.startswith("postgresql"):
        _db(database_url).drop_schema()
    tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
