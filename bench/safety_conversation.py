"""What a young person actually receives for each message of a labelled distress set (real core).

    .venv/bin/python bench/safety_conversation.py [tests/data/distress_heldout.yml]

Each message is the first message of a new WhatsApp conversation (+33 / +221 alternately). Counted:
- distress messages: caught by the phrase lists (urgent request + help lines), caught only by the
  second net (not understood + worrying word: help lines and a human offered), or neither;
- ordinary messages: how many got help lines anyway.
`terrapro safety eval` measures the phrase lists alone; this measures the whole turn.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_services  # noqa: E402
from bot.core.distress_eval import load_set  # noqa: E402
from bot.core.messages import IncomingMessage  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402

HELP_LINE_MARKERS = ("3114", "116 —", "116 ·")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fichier", nargs="?", default=str(PROJECT_ROOT / "tests" / "data" / "distress_heldout.yml"))
    args = parser.parse_args()
    distress, ordinary = load_set(Path(args.fichier))

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings(data_dir=Path(tmp), database_url="", redis_url=""),
                                  today=lambda: date(2026, 11, 26))

        async def reply_to(number: int, text: str) -> str:
            user = f"{'33' if number % 2 else '221'}6000{number:05d}"
            replies = await services.conversation.handle(IncomingMessage("whatsapp", user, text=text))
            return "\n".join(r.text for r in replies)

        async def run() -> None:
            urgent = soft = missed = 0
            for number, (text, _family) in enumerate(distress):
                before = len(services.handoffs.all_tickets())
                answer = await reply_to(number, text)
                if len(services.handoffs.all_tickets()) > before:
                    urgent += 1
                elif any(marker in answer for marker in HELP_LINE_MARKERS):
                    soft += 1
                else:
                    missed += 1
            false_help = 0
            for number, text in enumerate(ordinary, start=len(distress)):
                answer = await reply_to(number, text)
                if any(marker in answer for marker in HELP_LINE_MARKERS):
                    false_help += 1
            total = len(distress)
            print(f"Détresse ({total}) : demande urgente {urgent} · numéros d'aide par le second filet {soft} · "
                  f"rien {missed} → numéros d'aide pour {urgent + soft}/{total} ({(urgent + soft) / total:.0%})")
            print(f"Ordinaires ({len(ordinary)}) : numéros d'aide donnés à tort {false_help}")

        asyncio.run(run())
        services.close()


if __name__ == "__main__":
    main()
