"""The actions are servable unchanged by rasa-sdk's action server endpoint (`terrapro actions-server`)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rasa_sdk.executor import ActionExecutor

from actions.registry import action_classes
from bot.core.policy import INTENT_ACTIONS, YES_NO_QUESTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_register_package_finds_every_action_and_no_base_class():
    # rasa-sdk's loader still finds them (names only: their services come from bot.app).
    executor = ActionExecutor()
    executor.register_package("actions")
    names = {a.name for a in executor.list_actions()}
    assert names == {cls().name() for cls in action_classes()}
    needed = set(INTENT_ACTIONS.values()) | {a for pair in YES_NO_QUESTIONS.values() for a in pair}
    assert needed <= names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_action_server_runs_an_action(tmp_path):
    port = _free_port()
    env = {**os.environ, "TERRAPRO_DATA_DIR": str(tmp_path), "TERRAPRO_DATABASE_URL": "", "TERRAPRO_REDIS_URL": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "actions-server", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode(errors="replace")
                assert time.monotonic() < deadline, "action server did not start"
                time.sleep(0.3)
        call = {
            "next_action": "action_search_training",
            "sender_id": "rasa-user",
            "tracker": {
                "sender_id": "rasa-user",
                "slots": {},
                "latest_message": {
                    "text": "formation couture a kafountine",
                    "intent": {"name": "search_training", "confidence": 0.9},
                    "entities": [
                        {"entity": "filiere", "value": "couture"},
                        {"entity": "lieu", "value": "Kafountine"},
                    ],
                },
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": None,
            },
            "domain": {"intents": [], "entities": [], "slots": {}, "responses": {}, "actions": []},
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhook", data=json.dumps(call).encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
        text = answer["responses"][0]["text"]
        assert "Couture" in text and "Kafountine" in text
        slots = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
        assert slots["filiere"] == "couture" and slots["lieu"] == "Kafountine"
    finally:
        # Sanic runs worker processes: stop the whole group.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
