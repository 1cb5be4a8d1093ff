"""Flood fairness: one person sends 300 messages in 10 s while 20 others write; the others
are answered within 2 s, the flooder gets at most the flood limit of answers plus one
« doucement », and nothing of the others is lost.

Real processes: `terrapro serve` (signed WhatsApp webhooks, replies at a fake Graph API
answering in 30 ms) and `terrapro telegram` (long polling against the fake Bot API), on the
default SQLite. Figures are printed for the closing note (run with -s).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.core.texts import Texts
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.processes import BotProcess, free_port
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

SECRET = "flood-fairness-app-secret"
PHONE_ID = "100200300"
FLOOD_LIMIT = 10
FLOOD_MESSAGES = 300
FLOOD_SECONDS = 10.0
OTHERS = 20
EACH = 5  # messages per other person, one a second (under the flood limit)
MAX_WAIT = 2.0  # seconds from a message to its answer, for everyone but the flooder
# Finished inbox rows stay a year (retention): the flood meets a table with history, as in production.
HISTORY_ROWS = 20_000
# Short texts the bot answers with exactly one message, so the k-th answer is the k-th message's.
OTHER_TEXTS = ("bonjour", "merci", "salut", "ok merci", "bonjour")


@pytest.fixture(scope="module")
def slow_down_text() -> str:
    return Texts.load(Settings().content_dir).get("slow_down", "fr")


def _schedule() -> list[tuple[float, str, int]]:
    """(when, who, n): the flooder evenly over 10 s, each other person once a second, staggered."""
    plan = [(FLOOD_SECONDS * n / FLOOD_MESSAGES, "flooder", n) for n in range(FLOOD_MESSAGES)]
    for p in range(OTHERS):
        start = 0.5 + 4.0 * p / OTHERS  # the others' messages fall while the flood goes on
        plan += [(start + k * 1.0, f"other{p}", k) for k in range(EACH)]
    return sorted(plan)


def _run_schedule(send: Callable[[str, int], None], sent_at: dict[tuple[str, int], float]) -> None:
    """Sends on time from a few threads (a slow POST must not delay the next ones)."""
    plan = _schedule()
    lock = threading.Lock()
    cursor = iter(plan)
    start = time.monotonic()

    def worker() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            when, who, n = item
            delay = start + when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent_at[(who, n)] = time.monotonic()
            send(who, n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def _report(name: str, waits: list[float], flooder_answers: int, slow_downs: int, lost: int,
            drained: float, cpu: float) -> str:
    ordered = sorted(waits)
    p50 = statistics.median(ordered) if ordered else float("nan")
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    return (f"\n{name} flood: others {len(waits)} answered, lost {lost}, wait p50 {p50:.2f} s, "
            f"p95 {p95:.2f} s, max {max(ordered, default=float('nan')):.2f} s; flooder {FLOOD_MESSAGES} sent, "
            f"{flooder_answers} answered + {slow_downs} « doucement »; inbox empty {drained:.1f} s after the "
            f"last message; bot CPU {cpu:.1f} s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _seed_history(data_dir: Path, channel: str, rows: int = HISTORY_ROWS) -> None:
    """Earlier traffic, handled long ago: finished inbox rows (ids only, as the bot leaves them)."""
    at = "2026-01-05 10:00:00.000000"
    conn = sqlite3.connect(data_dir / "terrapro.sqlite3", timeout=10)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO inbox_items (channel, dedupe_id, key, payload, status, attempts, available_at,"
                " created_at, finished_at) VALUES (?, ?, ?, NULL, 'done', 1, ?, ?, ?)",
                ((channel, f"history-{n}", f"history-person-{n % 2_000}", at, at, at) for n in range(rows)),
            )
    finally:
        conn.close()


def _inbox_empty_at(data_dir: Path, timeout: float) -> float:
    """When every inbox row (the flooder's included) was finished (time.monotonic); inf if not in time."""
    deadline = time.monotonic() + timeout
    database = data_dir / "terrapro.sqlite3"
    while time.monotonic() < deadline:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            left = conn.execute("SELECT count(*) FROM inbox_items WHERE status IN ('queued', 'leased')").fetchone()[0]
        finally:
            conn.close()
        if left == 0:
            return time.monotonic()
        time.sleep(0.1)
    return float("inf")


def _waits(replies: dict[str, list[float]], sent_at: dict[tuple[str, int], float]) -> tuple[list[float], int]:
    waits: list[float] = []
    lost = 0
    for p in range(OTHERS):
        who = f"other{p}"
        got = sorted(replies.get(who, []))
        for k in range(EACH):
            if k < len(got):
                waits.append(got[k] - sent_at[(who, k)])
            else:
                lost += 1
    return waits, lost


def _wa_payload(wa_id: str, message_id: str, text: str) -> bytes:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "contacts": [{"wa_id": wa_id, "profile": {"name": "Awa"}}],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": text}}]}}]}]}
    return json.dumps(body).encode()


def _wa_id(who: str) -> str:
    return "221770000000" if who == "flooder" else f"22178{int(who[5:]):07d}"


def test_whatsapp_flood_does_not_delay_others(tmp_path, trained_nlu, slow_down_text):
    graph = FakeGraphAPI(latency=0.03).start()
    port = free_port()
    env = {
        "TERRAPRO_DATA_DIR": str(tmp_path / "data"), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_WHATSAPP_TOKEN": "t", "TERRAPRO_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "TERRAPRO_WHATSAPP_API_BASE_URL": graph.base_url, "TERRAPRO_WHATSAPP_APP_SECRET": SECRET,
        "TERRAPRO_WHATSAPP_VERIFY_TOKEN": "v", "TERRAPRO_FLOOD_LIMIT_PER_MINUTE": str(FLOOD_LIMIT),
        "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
    }
    server = BotProcess(["serve", "--port", str(port)], env, tmp_path / "serve.log",
                        health_url=f"http://127.0.0.1:{port}/health")
    sent_at: dict[tuple[str, int], float] = {}
    refused: list[int] = []
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    local = threading.local()
    clients: list[httpx.Client] = []

    def send(who: str, n: int) -> None:
        text = "bonjour" if who == "flooder" else OTHER_TEXTS[n]
        raw = _wa_payload(_wa_id(who), f"wamid.flood.{who}.{n}", text)
        signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hasattr(local, "client"):  # one keep-alive connection per sending thread
            local.client = httpx.Client(timeout=10)
            clients.append(local.client)
        response = local.client.post(url, content=raw, headers={"X-Hub-Signature-256": signature})
        if response.status_code != 200:
            refused.append(response.status_code)

    try:
        server.start()
        _seed_history(tmp_path / "data", "whatsapp")
        cpu = _cpu_seconds(server.proc.pid)
        _run_schedule(send, sent_at)
        # Every row handled, the flooder's too: their answers, if any, were sent before.
        drained = _inbox_empty_at(tmp_path / "data", 15) - max(sent_at.values())
        cpu = _cpu_seconds(server.proc.pid) - cpu
        recorded = list(graph.messages)
    finally:
        for client in clients:
            client.close()
        server.stop()
        graph.stop()

    others = {_wa_id(f"other{p}"): f"other{p}" for p in range(OTHERS)}
    replies: dict[str, list[float]] = {}
    flooder_texts: list[str] = []
    for m in recorded:
        to = str(m.body.get("to"))
        if to == _wa_id("flooder"):
            flooder_texts.append(_wa_text(m.body))
        elif to in others:
            replies.setdefault(others[to], []).append(m.at)
    waits, lost = _waits(replies, sent_at)
    slow_downs = sum(1 for t in flooder_texts if t == slow_down_text)
    print(_report("whatsapp", waits, len(flooder_texts) - slow_downs, slow_downs, lost, drained, cpu))
    assert refused == []
    assert drained < float("inf"), "the inbox did not empty"
    assert lost == 0 and all(len(replies[w]) == EACH for w in replies), "an other person's message got no answer"
    assert max(waits) <= MAX_WAIT
    assert slow_downs == 1
    assert len(flooder_texts) - slow_downs <= FLOOD_LIMIT


def _wa_text(body: dict) -> str:
    if body.get("type") == "text":
        return body["text"]["body"]
    return body.get("interactive", {}).get("body", {}).get("text", "")


def test_telegram_flood_does_not_delay_others(tmp_path, trained_nlu, slow_down_text):
    api = FakeTelegramAPI().start()
    env = {
        "TERRAPRO_DATA_DIR": str(tmp_path / "data"), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_TELEGRAM_TOKEN": TOKEN, "TERRAPRO_TELEGRAM_BASE_URL": api.base_url,
        "TERRAPRO_FLOOD_LIMIT_PER_MINUTE": str(FLOOD_LIMIT),
        "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
    }
    bot = BotProcess(["telegram"], env, tmp_path / "telegram.log")
    chats = {"flooder": 9_000, **{f"other{p}": 9_100 + p for p in range(OTHERS)}}
    who_of = {chat: who for who, chat in chats.items()}
    sent_at: dict[tuple[str, int], float] = {}
    pushed: list[int] = []

    def send(who: str, n: int) -> None:
        update = api.send_message_update(chats[who], "bonjour" if who == "flooder" else OTHER_TEXTS[n])
        pushed.append(update["update_id"])

    def all_fetched() -> bool:
        """The bot confirmed every update (a getUpdates with an offset past the last one)."""
        return any(int(c.params.get("offset") or 0) > max(pushed) for c in api.calls_to("getUpdates"))

    try:
        bot.start()
        # Ready once the bot polls (its first getUpdates).
        deadline = time.monotonic() + 90
        while not api.calls_to("getUpdates"):
            if time.monotonic() > deadline or (bot.proc and bot.proc.poll() is not None):
                raise RuntimeError((tmp_path / "telegram.log").read_text()[-2000:])
            time.sleep(0.1)
        _seed_history(tmp_path / "data", "telegram")
        cpu = _cpu_seconds(bot.proc.pid)
        _run_schedule(send, sent_at)
        deadline = time.monotonic() + 10
        while not all_fetched() and time.monotonic() < deadline:
            time.sleep(0.05)
        drained = _inbox_empty_at(tmp_path / "data", 15) - max(sent_at.values())
        cpu = _cpu_seconds(bot.proc.pid) - cpu
        recorded = api.calls_to("sendMessage")
    finally:
        bot.stop()
        api.stop()

    replies: dict[str, list[float]] = {}
    flooder_texts: list[str] = []
    for call in recorded:
        who = who_of.get(call.params.get("chat_id"))
        if who == "flooder":
            flooder_texts.append(call.params.get("text", ""))
        elif who is not None:
            replies.setdefault(who, []).append(call.at)
    waits, lost = _waits(replies, sent_at)
    slow_downs = sum(1 for t in flooder_texts if t == slow_down_text)
    print(_report("telegram", waits, len(flooder_texts) - slow_downs, slow_downs, lost, drained, cpu))
    assert drained < float("inf"), "the inbox did not empty"
    assert lost == 0 and all(len(replies[w]) == EACH for w in replies), "an other person's message got no answer"
    assert max(waits) <= MAX_WAIT
    assert slow_downs == 1
    assert len(flooder_texts) - slow_downs <= FLOOD_LIMIT
