"""Replies to a received message leave through the durable outbox, written with the turn.

A message taken from the inbox is answered in one transaction: the turn's own
changes, the replies written to the outbox (idempotency key ``once:reply:<queue>:<row>:<n>``),
the person's last-inbound time and the inbox row marked handled all commit together.
So a crash before that commit replays the turn from scratch, and a crash after it
never replays it: the replies are already queued, and the outbox sends each of them
(at once, else from any process that has the channel), retrying the platform's
"later". The only duplicate left is a reply the platform received while we died
before recording it as sent.
"""
from __future__ import annotations

from datetime import datetime

from bot.core.conversation import Settle
from bot.core.messages import Reply
from bot.core.ports import PersonDirectory
from bot.core.pump import current_receipt
from bot.handoff.bus import OutboxBus
from bot.handoff.notifications import Notification
from bot.storage.database import Database
from bot.storage.unit_of_work import after_commit, unit_of_work


class ReplyOutbox:
    def __init__(self, db: Database, bus: OutboxBus, persons: PersonDirectory) -> None:
        self._db = db
        self._bus = bus
        self._persons = persons

    def settle(self, channel: str, external_id: str, received_at: datetime) -> Settle:
        """What the turn of this received message does with its replies (call it in the
        pump handler's task: it reads which inbox row is being handled).

        ``received_at``: when the person sent it (their last-inbound time, and WhatsApp's
        window). Outside a pump (a test, the CLI) the replies are queued all the same.
        """
        receipt = current_receipt()

        def settle(replies: list[Reply]) -> None:
            with unit_of_work(self._db):  # joins the turn's; its own on the on-loop path
                # Not create=True: the turn may have erased the person (their own request).
                self._persons.touch_inbound(channel, external_id, received_at, create=False)
                for reply in replies:
                    self._bus.stage(
                        Notification(channel, external_id, reply, replying_to=received_at),
                        once_key=receipt.next_id("reply") if receipt is not None else None,
                    )
                if receipt is not None:
                    receipt.finish_within()
                    after_commit(receipt.committed)

        return settle
