"""Send core replies and broadcast templates, minding the 24-hour window."""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Protocol

from bot.channels.whatsapp.button_ids import ButtonIds
from bot.channels.whatsapp.graph import GraphClient, GraphError
from bot.channels.whatsapp.incoming import CHANNEL
from bot.channels.whatsapp.outgoing import render
from bot.core.messages import Reply
from bot.core.ports import PersonDirectory

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=24)
# The number does not exist on WhatsApp or can no longer receive messages.
UNREACHABLE_CODES = frozenset({131026})
# Meta's own verdict that the 24-hour window is closed.
WINDOW_CLOSED_CODES = frozenset({131047})


class DeliveryStats(Protocol):
    def record_status(
        self, channel: str, message_id: str, status: str, at: datetime | None = None,
        error_code: str | int | None = None,
    ) -> None: ...

    def count_error(self, channel: str, code: str | int, at: datetime | None = None) -> None: ...


class SendOutcome(str, Enum):
    SENT = "sent"
    OUTSIDE_WINDOW = "outside_window"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


class WhatsAppSender:
    def __init__(
        self,
        graph: GraphClient,
        persons: PersonDirectory,
        stats: DeliveryStats,
        *,
        button_ids: ButtonIds,
        clock: Callable[[], datetime],
    ) -> None:
        self._graph = graph
        self._persons = persons
        self._stats = stats
        self._ids = button_ids
        self._clock = clock
        # Keyed hash for log lines: lets us tell recipients apart, not find them.
        self._log_key = secrets.token_bytes(16)

    def within_window(self, wa_id: str, inbound_at: datetime | None = None) -> bool:
        # A reply to a message just received knows its window from that message: the
        # person row may be gone by then (they asked to delete their data).
        last = inbound_at or self._persons.last_inbound(CHANNEL, wa_id)
        if last is None:
            return False
        if last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        return self._clock() - last < SERVICE_WINDOW

    async def send(self, wa_id: str, reply: Reply, *, inbound_at: datetime | None = None) -> SendOutcome:
        """A normal reply: only inside the 24-hour window, else nothing is sent."""
        if not self.within_window(wa_id, inbound_at):
            return SendOutcome.OUTSIDE_WINDOW
        for payload in render(wa_id, reply, self._ids):
            outcome = await self._send_one(wa_id, payload)
            if outcome is not SendOutcome.SENT:
                return outcome
        return SendOutcome.SENT

    async def send_template(
        self,
        wa_id: str,
        template_name: str,
        language: str = "fr",
        parameters: Sequence[str] = (),
    ) -> SendOutcome:
        """A pre-approved template: the only thing allowed outside the window."""
        template: dict[str, Any] = {"name": template_name, "language": {"code": language}}
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
            ]
        payload = {"messaging_product": "whatsapp", "to": wa_id, "type": "template", "template": template}
        return await self._send_one(wa_id, payload)

    async def _send_one(self, wa_id: str, payload: dict[str, Any]) -> SendOutcome:
        try:
            message_id = await self._graph.send_message(payload)
        except GraphError as exc:
            return self._failed(wa_id, exc)
        if message_id:
            self._stats.record_status(CHANNEL, message_id, "accepted", self._clock())
        return SendOutcome.SENT

    def _failed(self, wa_id: str, exc: GraphError) -> SendOutcome:
        code = exc.code if exc.code is not None else f"http{exc.status}"
        self._stats.count_error(CHANNEL, code, self._clock())
        log.warning("whatsapp send failed: code %s, recipient %s", code, self.recipient_tag(wa_id))
        if exc.code in UNREACHABLE_CODES:
            self._persons.mark_unreachable(CHANNEL, wa_id)
            return SendOutcome.UNREACHABLE
        if exc.code in WINDOW_CLOSED_CODES:
            return SendOutcome.OUTSIDE_WINDOW
        return SendOutcome.FAILED

    def recipient_tag(self, wa_id: str) -> str:
        return hmac.new(self._log_key, wa_id.encode(), hashlib.sha256).hexdigest()[:8]
