"""Drill: a real `terrapro serve` killed (SIGKILL) at random moments while WhatsApp posts arrive.

Every message that got a 200 must be answered after the restart: 0 lost, and at most
one duplicate answer per kill (a reply sent just before the kill, its turn not yet
marked finished). Figures are printed for the closing note (run with -s).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter

import httpx

from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.processes import BotProcess, free_port
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

SECRET = "crash-drill-app-secret"
PHONE_ID = "100200300"
PEOPLE = 40
KILLS = 3


def _payload(wa_id: str, n: int) -> bytes:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "contacts": [{"wa_id": wa_id, "profile": {"name": "Awa"}}],
        "messages": [{"from": wa_id, "id": f"wamid.drill.{n}", "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": "bonjour"}}]}}]}]}
    return json.dumps(body).encode()


def test_no_accepted_message_is_lost_across_sigkills(tmp_path, trained_nlu):
    graph = FakeGraphAPI().start()
    port = free_port()
    env = {
        "TERRAPRO_DATA_DIR": str(tmp_path / "data"), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_WHATSAPP_TOKEN": "t", "TERRAPRO_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "TERRAPRO_WHATSAPP_API_BASE_URL": graph.base_url, "TERRAPRO_WHATSAPP_APP_SECRET": SECRET,
        "TERRAPRO_WHATSAPP_VERIFY_TOKEN": "v", "TERRAPRO_INBOX_LEASE_SECONDS": "2",
        "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
    }
    server = BotProcess(["serve", "--port", str(port)], env, tmp_path / "serve.log",
                        health_url=f"http://127.0.0.1:{port}/health")
    accepted: list[str] = []
    refused = 0
    rng = random.Random(7)

    def post_all() -> None:
        nonlocal refused
        with httpx.Client(timeout=5) as client:
            for n in range(PEOPLE):
                wa_id = f"2217700{n:05d}"
                raw = _payload(wa_id, n)
                signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                for _ in range(100):  # like Meta: retry until a 200
                    try:
                        response = client.post(f"http://127.0.0.1:{port}/webhooks/whatsapp", content=raw,
                                               headers={"X-Hub-Signature-256": signature})
                    except httpx.HTTPError:
                        refused += 1
                        time.sleep(0.2)
                        continue
                    if response.status_code == 200:
                        accepted.append(wa_id)
                        break
                    refused += 1
                    time.sleep(0.2)
                time.sleep(rng.uniform(0.0, 0.05))

    try:
        server.start()
        poster = threading.Thread(target=post_all)
        poster.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.2))
            server.kill()
            server.start()
        poster.join(120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = Counter(m.body["to"] for m in graph.messages)
            if all(answered[w] for w in accepted):
                break
            time.sleep(0.2)
        answered = Counter(m.body["to"] for m in graph.messages)
    finally:
        server.stop()
        graph.stop()

    lost = [w for w in accepted if not answered[w]]
    duplicated = [w for w in accepted if answered[w] > 1]
    print(f"\ncrash drill: accepted {len(accepted)}, answered {sum(1 for w in accepted if answered[w])}, "
          f"duplicated {len(duplicated)}, lost {len(lost)}, refused while down {refused}, kills {KILLS}")
    assert len(accepted) == PEOPLE
    assert lost == []
    assert len(duplicated) <= KILLS


def test_telegram_polling_loses_nothing_across_sigkills(tmp_path, trained_nlu):
    """Updates are confirmed to Telegram (offset) only once stored: a kill loses none."""
    api = FakeTelegramAPI().start()
    env = {
        "TERRAPRO_DATA_DIR": str(tmp_path / "data"), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_TELEGRAM_TOKEN": TOKEN, "TERRAPRO_TELEGRAM_BASE_URL": api.base_url,
        "TERRAPRO_INBOX_LEASE_SECONDS": "2", "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
    }
    bot = BotProcess(["telegram"], env, tmp_path / "telegram.log")
    chats = [8_000 + n for n in range(PEOPLE)]
    rng = random.Random(11)

    def sent_to() -> Counter[int]:
        return Counter(c.params.get("chat_id") for c in api.calls_to("sendMessage"))

    try:
        bot.start()
        for n, chat in enumerate(chats):
            api.send_message_update(chat, "bonjour")
            time.sleep(rng.uniform(0.0, 0.05))
            if n in (10, 22, 31):
                bot.kill()
                bot.start()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not all(sent_to()[c] for c in chats):
            time.sleep(0.2)
        answered = sent_to()
    finally:
        bot.stop()
        api.stop()
    lost = [c for c in chats if not answered[c]]
    duplicated = [c for c in chats if answered[c] > 1]
    print(f"\ntelegram drill: sent {len(chats)}, answered {len(chats) - len(lost)}, "
          f"duplicated {len(duplicated)}, lost {len(lost)}, kills 3")
    assert lost == []
    assert len(duplicated) <= 3
