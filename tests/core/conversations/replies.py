"""Reading the substance of the bot's replies: the numbered results."""
from __future__ import annotations

import re
from functools import cache

import yaml

from bot.settings import PROJECT_ROOT


def results(text: str) -> list[str]:
    return re.findall(r"^\d+\. .+$", text, flags=re.M)


def first_result(text: str) -> str:
    found = results(text)
    assert found, text
    return found[0]


@cache
def _plain_words() -> dict[str, str]:
    guidance = yaml.safe_load((PROJECT_ROOT / "content" / "guidance.yml").read_text(encoding="utf-8"))
    return guidance.get("plain_words") or {}


def plain(words: str) -> str:
    """A catalogue term as the bot says it to a young person (content/guidance.yml « plain_words »)."""
    return _plain_words().get(words, words)
