"""Two `terrapro serve` processes on PostgreSQL + Redis: one person's messages, posted alternately
to both, are answered in the order they were sent."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import defaultdict

import httpx
import pytest
import sqlalchemy

from bot.storage.database import Database
from bot.storage.schema import upgrade
from tests.conftest import POSTGRES_URL, REDIS_URL
from tests.fakes.graph_api import FakeGraphAPI
from tests.fakes.processes import BotProcess, free_port
from tests.web.test_crash_recovery import PHONE_ID, SECRET

PEOPLE, MESSAGES = 50, 20


@pytest.fixture
def fresh_postgres_url(_postgres_reachable):
    if _postgres_reachable is not None:
        from tests.conftest import _unavailable

        _unavailable("PostgreSQL", _postgres_reachable)
    name = f"t_order_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    # What an operator does once before starting the processes (they refuse a database behind the code).
    db = Database.from_url(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _post(client: httpx.Client, port: int, wa_id: str, message_id: str, text: str) -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID},
        "contacts": [{"wa_id": wa_id, "profile": {"name": "Awa"}}],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": text}}]}}]}]}
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    for _ in range(50):
        response = client.post(f"http://127.0.0.1:{port}/webhooks/whatsapp", content=raw,
                               headers={"X-Hub-Signature-256": signature})
        if response.status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"never accepted: {response.status_code}")


def test_two_processes_keep_each_persons_order(tmp_path, trained_nlu, fresh_postgres_url, redis_client):
    graph = FakeGraphAPI().start()
    env = {
        "TERRAPRO_DATA_DIR": str(tmp_path / "data"), "TERRAPRO_NLU_CACHE_DIR": str(trained_nlu),
        "TERRAPRO_DATABASE_URL": fresh_postgres_url, "TERRAPRO_REDIS_URL": REDIS_URL,
        "TERRAPRO_WHATSAPP_TOKEN": "t", "TERRAPRO_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "TERRAPRO_WHATSAPP_API_BASE_URL": graph.base_url, "TERRAPRO_WHATSAPP_APP_SECRET": SECRET,
        "TERRAPRO_WHATSAPP_VERIFY_TOKEN": "v", "TERRAPRO_FLOOD_LIMIT_PER_MINUTE": "1000",
    }
    ports = [free_port(), free_port()]
    servers = [BotProcess(["serve", "--port", str(p)], env, tmp_path / f"serve{i}.log",
                          health_url=f"http://127.0.0.1:{p}/health") for i, p in enumerate(ports)]

    def person(n: int) -> None:
        with httpx.Client(timeout=10) as client:
            for k in range(MESSAGES):
                _post(client, ports[k % 2], f"3361{n:07d}", f"wamid.o.{n}.{k}", f"formation zork{k:02d}")

    try:
        for server in servers:  # one after the other: the first creates the schema
            server.start()
        threads = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(graph.messages) < PEOPLE * MESSAGES:
            time.sleep(0.2)
        replies: dict[str, list[int]] = defaultdict(list)
        for m in graph.messages:
            found = re.search(r"zork(\d+)", json.dumps(m.body, ensure_ascii=False))
            if found:
                replies[m.body["to"]].append(int(found.group(1)))
    finally:
        for server in servers:
            server.stop()
        graph.stop()
    out_of_order = [who for who, seq in replies.items() if seq != sorted(seq)]
    print(f"\ntwo-process order: {PEOPLE} people x {MESSAGES} messages, "
          f"{sum(len(s) for s in replies.values())} answers, {len(out_of_order)} people out of order")
    assert len(replies) == PEOPLE
    assert all(seq == list(range(MESSAGES)) for seq in replies.values()), out_of_order[:3]
