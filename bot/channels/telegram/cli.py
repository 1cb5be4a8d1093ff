"""`terrapro telegram`: runs the bot with long polling."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from bot.channels.telegram.application import ALLOWED_UPDATES, build_application, sender_of
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
        run_polling_with_handoff(services)
    except TelegramConfigError as exc:
        print(f"terrapro telegram : {exc}", file=sys.stderr)
        return 2
    return 0


def run_polling_with_handoff(services: Any) -> None:
    """Polling, with referents' messages routed to their console, the hand-off and broadcast workers running."""
    from bot.channels.outbound import BroadcastWorkerTask, attach_broadcast
    from bot.channels.telegram.media import TelegramMedia
    from bot.handoff.outbox import TelegramOutbox

    handoff = services.handoff
    app = build_application(services.settings, handoff.handler(services.conversation), services.persons)
    handoff.outbox.register("telegram", TelegramOutbox(sender_of(app)))
    handoff.media.register("telegram", TelegramMedia(app.bot))
    broadcast = attach_broadcast(services, telegram_sender=sender_of(app))
    handoff.console.enable_broadcasts(broadcast)
    broadcasts = BroadcastWorkerTask(broadcast)
    previous_post_init = app.post_init

    async def post_init(application: Any) -> None:
        if previous_post_init is not None:
            await previous_post_init(application)
        handoff.start()
        broadcasts.start()

    async def post_stop(_application: Any) -> None:
        await broadcasts.stop()
        await handoff.stop()

    app.post_init, app.post_stop = post_init, post_stop
    # httpx logs each request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
