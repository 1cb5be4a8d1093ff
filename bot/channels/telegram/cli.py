"""`terrapro telegram`: runs the bot with long polling."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from bot.channels.telegram.application import run_polling
from bot.channels.telegram.config import TelegramConfigError, validate_token


def register(subparsers: argparse._SubParsersAction, make_services: Callable[[], Any]) -> None:
    parser = subparsers.add_parser(
        "telegram",
        help="Lance le bot Telegram (long polling)",
        description="Lance le bot Telegram en long polling (TERRAPRO_TELEGRAM_TOKEN requis).",
    )
    parser.set_defaults(run=lambda args: run(make_services))


def run(make_services: Callable[[], Any]) -> int:
    services = make_services()
    try:
        validate_token(services.settings.telegram_token)
        run_polling(services.settings, services.conversation, services.persons)
    except TelegramConfigError as exc:
        print(f"terrapro telegram : {exc}", file=sys.stderr)
        return 2
    return 0
