"""Reading the substance of the bot's replies: the numbered results."""
from __future__ import annotations

import re


def results(text: str) -> list[str]:
    return re.findall(r"^\d+\. .+$", text, flags=re.M)


def first_result(text: str) -> str:
    found = results(text)
    assert found, text
    return found[0]
