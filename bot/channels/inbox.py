"""The process's inbox pump: what the channels' webhooks and poller write, handled in order per person."""
from __future__ import annotations

from datetime import timedelta

from bot.core.pump import QueuePump
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.queue import DurableQueue, InboxItem


def build_inbox_pump(settings: Settings, db: Database) -> QueuePump:
    return QueuePump(
        DurableQueue(db, InboxItem),
        concurrency=settings.inbox_concurrency,
        lease=timedelta(seconds=settings.inbox_lease_seconds),
    )
