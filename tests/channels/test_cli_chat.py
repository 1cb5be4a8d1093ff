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
    return run_chat_process(tmp_path, nlu_cache, lines, user).stdout


def run_chat_process(tmp_path: Path, nlu_cache: Path, lines: str, user: str = "test") -> subprocess.CompletedProcess:
    env = {**os.environ, "TERRAPRO_DATA_DIR": str(tmp_path), "TERRAPRO_NLU_CACHE_DIR": str(nlu_cache),
           "TERRAPRO_DATABASE_URL": "", "TERRAPRO_REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", user], input=lines, text=True,
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_piped_chat_answers_each_line_and_continues_later(tmp_path, tmp_path_factory):
    cache = tmp_path_factory.mktemp("nlu")
    out = run_chat(tmp_path, cache, "bonjour\n1\ncouture\n")
    assert out.count("toi> ") == 3
    assert "[1] Trouver une formation" in out
    assert "Couture" in out
    again = run_chat(tmp_path, cache, "et a kafountine ?\n")
    assert "Kafountine" in again and "Couture" in again


def test_a_button_number_still_works_in_a_later_run_and_the_first_start_says_it_is_getting_ready(
    tmp_path, tmp_path_factory
):
    cache = tmp_path_factory.mktemp("nlu-fresh")
    first = run_chat_process(tmp_path, cache, "couture a kafountine\n")
    assert "Première mise en route" in first.stderr  # the model trains: not a silent wait
    numbered = [line.strip() for line in first.stdout.splitlines() if line.strip().startswith("[")]
    referent = next(line for line in numbered if "référent" in line)
    number = referent[1:referent.index("]")]

    later = run_chat_process(tmp_path, cache, f"{number}\n")
    assert "Première mise en route" not in later.stderr  # cached model: starts at once
    # The button was pressed (a hand-off request), not the text "2" read as "the second result".
    assert "n°1" in later.stdout and "Durée" not in later.stdout
