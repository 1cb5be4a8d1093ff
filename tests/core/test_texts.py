"""Every text key the code asks for exists, in French, in content/texts.yml."""
from __future__ import annotations

import re
from pathlib import Path

from bot.core.texts import Texts
from bot.settings import PROJECT_ROOT

KEY_CALL = re.compile(r"""(?:self\.text|texts\.get|_texts\.get|self\._texts\.get)\(\s*["']([a-z_]+)["']""")


def test_every_key_used_in_code_exists():
    texts = Texts.load(PROJECT_ROOT / "content")
    used = set()
    for folder in ("actions", "bot"):
        for path in Path(PROJECT_ROOT, folder).rglob("*.py"):
            used |= set(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    used |= {f"orientation_{d}" for d in ("short", "long", "any")}
    used |= {"voice", "image", "sticker", "document", "video", "contact", "other_kind"}
    used |= {"territoire_bignona", "territoire_savoie"}
    assert used, "the scan found no text keys"
    missing = sorted(k for k in used if k not in texts.entries)
    assert not missing


def test_wolof_falls_back_to_french():
    texts = Texts.load(PROJECT_ROOT / "content")
    assert texts.get("results_none_profile", "wo") == texts.get("results_none_profile", "fr")
    assert texts.get("greet", "wo") != texts.get("greet", "fr")
