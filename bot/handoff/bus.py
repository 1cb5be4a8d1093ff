"""Where hand-off notifications and replies go: the durable outbox, then the channel's port.

Replies, relays (both ways), announcements to referents and notices are written to
the outbox table first — inside the message turn's unit of work when there is one,
so a referent never hears of a ticket that was rolled back and nothing published
by a committed turn is lost — then delivered at once by the process that wrote
them (the row is leased to it as it is written, bot.core.pump). Whatever could not
be delivered then (the process died, the platform said "later", another process
owns the channel) is delivered by the outbox pump of any process that has that
channel's port, in order per recipient, with retries.

The outbox keeps one row per key, so what is published twice is sent once: a relay
carries the id of the message it relays (``once_key``); anything else published while
a received message is handled gets a key derived from that inbox row, the same when
the message is handled again after a crash.
"""
from __future__ import annotations

import uuid
from typing import Protocol

from bot.core.pump import QueuePump, current_receipt
from bot.handoff.notifications import Notification
from bot.storage.database import Database
from bot.storage.unit_of_work import in_unit_of_work


class NotificationBus(Protocol):
    async def publish(self, notification: Notification, *, once_key: str | None = None) -> None:
        """``once_key``: publishing again with the same key does nothing (e.g. the relay of one
        inbound message, handled again after a crash)."""
        ...


class OutboxBus:
    def __init__(self, db: Database, pump: QueuePump) -> None:
        self._db = db
        self._pump = pump

    async def publish(self, notification: Notification, *, once_key: str | None = None) -> None:
        if in_unit_of_work(self._db):
            self.stage(notification, once_key=once_key)
            return
        await self._pump.deliver(notification.channel, _dedupe_id(once_key), *_row(notification))

    def stage(self, notification: Notification, *, once_key: str | None = None) -> None:
        """Inside a unit of work (a turn): written in the turn's transaction, sent once it
        has committed (by this process when it can, else by any that has the channel)."""
        self._pump.accept(notification.channel, _dedupe_id(once_key), *_row(notification))


def _row(notification: Notification) -> tuple[str, dict[str, str]]:
    return f"{notification.channel}:{notification.external_id}", {"notification": notification.to_json()}


def _dedupe_id(once_key: str | None) -> str:
    if once_key:
        return f"once:{once_key}"
    receipt = current_receipt()
    if receipt is not None:
        # Published while handling a received message: the same key if it is handled again.
        return receipt.next_id("n")
    return f"n:{uuid.uuid4().hex}"
