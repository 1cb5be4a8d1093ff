"""`terrapro chat`: numbered buttons, answers by number, piped stdin, durable conversation."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.channels.cli_chat import render, to_message
from bot.core.messages import Button, MessageKind, Reply

ROOT = Path(__file__).resolve().parents[2]


def test_buttons_are_numbered_across_replies():
    replies = [Reply("a", (Button("Un", "/one"),)), Reply("b", (Button("Deux", "/two"),))]
    assert render(replies).splitlines() == ["bot> a", "     [1] Un", "bot> b", "     [2] Deux"]


def test_a_number_presses_the_button_and_anything_else_is_text():
    last = [Reply("a", (Button("Un", "/one"), Button("Deux", "/two")))]
    pressed = to_message("2", "u", last)
    assert pressed.kind is MessageKind.BUTTON and pressed.payload == "/two"
    assert to_message("3", "u", last).kind is MessageKind.TEXT
    assert to_message("12 ans", "u", last).text == "12 ans"


def run_chat(tmp_path: Path, nlu_cache: Path, lines: str, user: str = "test") -> str:
    env = {**os.environ, "TERRAPRO_DATA_DIR": str(tmp_path), "TERRAPRO_NLU_CACHE_DIR": str(nlu_cache),
           "TERRAPRO_DATABASE_URL": "", "TERRAPRO_REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", user], input=lines, text=True,
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_piped_chat_answers_each_line_and_continues_later(tmp_path, tmp_path_factory):
    cache = tmp_path_factory.mktemp("nlu")
    out = run_chat(tmp_path, cache, "bonjour\n1\ncouture\n")
    assert out.count("toi> ") == 3
    assert "[1] Trouver une formation" in out
    assert "Couture" in out
    again = run_chat(tmp_path, cache, "et a kafountine ?\n")
    assert "Kafountine" in again and "Couture" in again


def test_rendered_replies_carry_no_escape_sequences():
    replies = [Reply("\x1b[2Jbonjour", (Button("\x1b]0;x\x07Un", "/a"),))]
    assert render(replies).splitlines() == ["bot> bonjour", "     [1] Un"]
