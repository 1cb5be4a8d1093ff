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
from pathlib import Path

import httpx

from bot.settings import Settings
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


TELEGRAM_SECRET = "crash-drill-telegram-secret"
RELAY_PAIRS = [  # (referent's Telegram chat, referent, young person's WhatsApp number, young person)
    (9101, "Awa", "221771000001", "Moussa"),
    (9102, "Ibou", "221771000002", "Fatou"),
    (9103, "Sali", "221771000003", "Lamine"),
]
RELAYS_EACH_WAY = 8


def _hand_offs_in_progress(data_dir: Path) -> None:
    """Each young person (WhatsApp) is talking with their referent (Telegram): tickets assigned."""
    from bot.app import build_app
    from bot.storage.base import utcnow
    from bot.storage.referents import ReferentRepository

    app = build_app(Settings(data_dir=data_dir, redis_url="", database_url=""))
    try:
        referents = ReferentRepository(app.db)
        for chat, name, wa_id, young in RELAY_PAIRS:
            referent = referents.add(name, chat, "Bignona")
            person = app.persons.get_or_create("whatsapp", wa_id, young)
            app.persons.touch_inbound("whatsapp", wa_id, utcnow())  # inside the 24-hour window
            ticket = app.handoffs.request(person.id, "whatsapp", "Bignona", {}, "exercice")
            assert app.handoffs.assign(ticket.id, referent.id) is not None
    finally:
        app.close()


def _young_payload(wa_id: str, name: str, message_id: str, text: str) -> bytes:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "contacts": [{"wa_id": wa_id, "profile": {"name": name}}],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": text}}]}}]}]}
    return json.dumps(body).encode()


def test_referent_relays_lose_nothing_across_sigkills(tmp_path, trained_nlu):
    """Young people on WhatsApp and their referents on Telegram write to each other while
    `serve` is SIGKILLed 3 times: every relay accepted (200) reaches the other side, at most
    once more than needed (a relay sent just before the kill, not yet marked done)."""
    graph = FakeGraphAPI().start()
    api = FakeTelegramAPI().start()
    port = free_port()
    data_dir = tmp_path / "data"
    _hand_offs_in_progress(data_dir)
    env = {
        "TERRAPRO_DATA_DIR": str(data_dir), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_WHATSAPP_TOKEN": "t", "TERRAPRO_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "TERRAPRO_WHATSAPP_API_BASE_URL": graph.base_url, "TERRAPRO_WHATSAPP_APP_SECRET": SECRET,
        "TERRAPRO_WHATSAPP_VERIFY_TOKEN": "v", "TERRAPRO_TELEGRAM_TOKEN": TOKEN,
        "TERRAPRO_TELEGRAM_BASE_URL": api.base_url, "TERRAPRO_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TERRAPRO_INBOX_LEASE_SECONDS": "2", "TERRAPRO_REDIS_URL": "", "TERRAPRO_DATABASE_URL": "",
    }
    server = BotProcess(["serve", "--port", str(port)], env, tmp_path / "serve.log",
                        health_url=f"http://127.0.0.1:{port}/health")
    rng = random.Random(23)
    # Per sender, in order; the senders interleaved at random.
    lanes = [[("young", i, k) for k in range(RELAYS_EACH_WAY)] for i in range(len(RELAY_PAIRS))]
    lanes += [[("referent", i, k) for k in range(RELAYS_EACH_WAY)] for i in range(len(RELAY_PAIRS))]
    plan = []
    while any(lanes):
        lane = rng.choice([lane for lane in lanes if lane])
        plan.append(lane.pop(0))
    accepted: list[str] = []  # tokens of the messages that got a 200
    refused = 0

    def post(client: httpx.Client, side: str, i: int, k: int) -> str:
        chat, referent, wa_id, young = RELAY_PAIRS[i]
        if side == "young":
            token = f"y{i}-{k}"
            raw = _young_payload(wa_id, young, f"wamid.relay.{i}.{k}", f"drill {token}")
            url, headers = f"http://127.0.0.1:{port}/webhooks/whatsapp", {
                "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()}
        else:
            token = f"r{i}-{k}"
            update = {"update_id": api.new_update_id(), **api.message_update(chat, f"drill {token}", first_name=referent)}
            raw = json.dumps(update).encode()
            url, headers = f"http://127.0.0.1:{port}/webhooks/telegram", {
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
        nonlocal refused
        for _ in range(200):  # like Meta and Telegram: the same delivery again until a 200
            try:
                if client.post(url, content=raw, headers=headers).status_code == 200:
                    return token
            except httpx.HTTPError:
                pass
            refused += 1
            time.sleep(0.2)
        raise AssertionError(f"{token} never accepted")

    def post_all() -> None:
        with httpx.Client(timeout=5) as client:
            for side, i, k in plan:
                accepted.append(post(client, side, i, k))
                time.sleep(rng.uniform(0.0, 0.08))

    def delivered() -> Counter[str]:
        seen: Counter[str] = Counter()
        for call in api.calls_to("sendMessage"):
            seen.update(w for w in str(call.params.get("text", "")).split() if w.startswith("y"))
        for body in graph.bodies():
            seen.update(w for w in str(body.get("text", {}).get("body", "")).split() if w.startswith("r"))
        return seen

    started = time.monotonic()
    try:
        server.start()
        poster = threading.Thread(target=post_all)
        poster.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.4, 1.5))
            server.kill()
            server.start()
        poster.join(60)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and not all(delivered()[t] for t in accepted):
            time.sleep(0.2)
        seen = delivered()
    finally:
        server.stop()
        api.stop()
        graph.stop()

    lost = [t for t in accepted if not seen[t]]
    duplicated = [t for t in accepted if seen[t] > 1]
    print(f"\nrelay drill: accepted {len(accepted)}, relayed {len(accepted) - len(lost)}, "
          f"duplicated {len(duplicated)} {duplicated}, lost {len(lost)} {lost}, refused while down {refused}, "
          f"kills {KILLS}, {time.monotonic() - started:.0f} s")
    assert len(accepted) == 2 * len(RELAY_PAIRS) * RELAYS_EACH_WAY
    assert lost == []
    assert max(seen[t] for t in accepted) <= 2  # the platform cannot tell us: one duplicate at most
    assert set(seen) <= set(accepted)  # nothing relayed that nobody wrote
