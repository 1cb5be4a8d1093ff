"""`terrapro telegram`: runs the bot with long polling (the command is declared in bot/cli.py)."""
from __future__ import annotations

import asyncio
import logging
import signal
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
    """Polling through the durable inbox, with referents' messages routed to their console,
    and the hand-off and broadcast workers running. Blocks until Ctrl-C / SIGTERM."""
    # httpx logs each request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(_serve_polling(services))


async def _serve_polling(services: Any) -> None:
    from bot.broadcast.compose import build_broadcast
    from bot.channels.inbox import build_inbox_pump
    from bot.channels.outbound import BroadcastWorkerTask
    from bot.channels.replies import ReplyOutbox
    from bot.channels.telegram.application import application_running, build_application, port_of
    from bot.channels.telegram.inbox import TelegramInbox
    from bot.channels.telegram.media import TelegramMedia
    from bot.observability.heap import freeze_startup_heap

    handoff = services.handoff
    limits = services.rate_limits
    app = build_application(
        services.settings, handoff.handler(services.conversation), services.persons, services.shared,
        replies=ReplyOutbox(services.db, handoff.bus, services.persons),
        limits=limits,
    )
    handoff.ports.register("telegram", port_of(app))
    handoff.media.register("telegram", TelegramMedia(app.bot))
    broadcast = build_broadcast(services, handoff.ports)
    handoff.console.enable_broadcasts(broadcast)
    broadcasts = BroadcastWorkerTask(broadcast)
    pump = build_inbox_pump(services.settings, services.db)
    poller = TelegramInbox(app, pump, max_backlog=services.settings.inbox_max_backlog)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application_running(app, poller=poller):
        pump.start()
        handoff.start()
        broadcasts.start()
        freeze_startup_heap()
        try:
            await stop.wait()
        finally:
            limits.close()  # a send waiting only for an unreachable Redis gives up
            await broadcasts.stop()
            await handoff.stop()
            await pump.stop()
    await limits.aclose()
