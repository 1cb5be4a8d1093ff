"""Every sentence the console asks for exists in content/console/messages.yml (French, editable)."""
from __future__ import annotations

import re
from pathlib import Path

from bot.reports.messages import load_messages
from bot.settings import PROJECT_ROOT

CODE = [*(PROJECT_ROOT / "bot" / "web" / "console").glob("*.py"), PROJECT_ROOT / "bot" / "reports" / "digest.py"]


def test_every_message_key_and_audit_code_has_a_text():
    messages = load_messages(PROJECT_ROOT / "content")
    source = "\n".join(Path(p).read_text(encoding="utf-8") for p in CODE)
    asked = set(re.findall(r"""message\(\s*["']([a-z_]+)["']""", source))
    asked |= set(re.findall(r"""_messages\[["']([a-z_]+)["']\]""", source))
    asked |= set(re.findall(r"""error_page\(deps, request, \d+, ["']([a-z_]+)["']""", source))
    assert asked and not asked - set(messages), sorted(asked - set(messages))
    codes = set(re.findall(r"""audit\.record\([^,]+,\s*["']([a-z_]+)["']""", source))
    codes |= set(re.findall(r"""record\(CLI_ACTOR,\s*["']([a-z_]+)["']""", source))
    codes |= {"referent_present", "referent_absent"}
    assert codes and not codes - set(messages["audit"]), sorted(codes - set(messages["audit"]))
