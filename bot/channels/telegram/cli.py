"""`terrapro telegram`: runs the bot with long polling (the command is declared in bot/cli.py)."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any



def run(make_services: Callable[[], Any]) -> int:
    from bot.channels.telegram.config import TelegramConfigError, validate_token

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
    from bot.channels.telegram.application import ALLOWED_UPDATES, build_application, sender_of
    from bot.handoff.outbox import TelegramOutbox

    handoff = services.handoff
    app = build_application(services.settings, handoff.handler(services.conversation), services.persons)
    handoff.outbox.register("telegram", TelegramOutbox(sender_of(app)))
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
