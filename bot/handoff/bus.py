"""Where hand-off notifications and replies go: the durable outbox, then the channel's port.

Replies, relays (both ways), announcements to referents and notices are written to
the outbox table first — inside the message turn's unit of work when there is one,
so a referent never hears of a ticket that was rolled back and nothing published
by a committed turn is lost — then delivered at once by the process that wrote
them (the row is leased to it as it is written, bot.core.pump). Whatever could not
be delivered then (the process died, the platform said "later", another process
owns the channel) is delivered by the outbox pump of any process that has that
channel's port, in order per recipient, with retries.
"""
from __future__ import annotations

import uuid
from typing import Protocol

from bot.core.pump import QueuePump, current_receipt
from bot.handoff.notifications import Notification
from bot.storage.database import Database
from bot.storage.unit_of_work import current_session


class NotificationBus(Protocol):
    async def publish(self, notification: Notification, *, dedupe_id: str | None = None) -> None: ...


class OutboxBus:
    def __init__(self, db: Database, pump: QueuePump) -> None:
        self._db = db
        self._pump = pump

    async def publish(self, notification: Notification, *, dedupe_id: str | None = None) -> None:
        """``dedupe_id``: our idempotency key, so a notification written twice is sent once.
        By default: derived from the received message being handled, if any (the same
        key when it is handled again after a crash), else new."""
        if current_session(self._db) is not None:
            self.stage(notification, dedupe_id=dedupe_id)
            return
        await self._pump.deliver(notification.channel, dedupe_id or _new_id(), *_row(notification))

    def stage(self, notification: Notification, *, dedupe_id: str | None = None) -> None:
        """Inside a unit of work (a turn): written in the turn's transaction, sent once it
        has committed (by this process when it can, else by any that has the channel)."""
        self._pump.accept(notification.channel, dedupe_id or _new_id(), *_row(notification))


def _row(notification: Notification) -> tuple[str, dict[str, str]]:
    return f"{notification.channel}:{notification.external_id}", {"notification": notification.to_json()}


def _new_id() -> str:
    receipt = current_receipt()
    if receipt is not None:
        # Published while handling a received message: the same key if it is handled again.
        return receipt.next_id("n")
    return f"n:{uuid.uuid4().hex}"
