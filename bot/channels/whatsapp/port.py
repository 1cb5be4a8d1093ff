"""WhatsApp's outbound port: ``send(channel, wa_id, reply, lane) -> SendResult``.

Its own rate limiter (``TERRAPRO_WHATSAPP_SEND_RATE`` per second for the number,
priority lane before bulk; shared by every process through Redis when configured) and the 24-hour rule: a free-form message only within
24 h of the person's last message. Outside the window a broadcast (bulk lane) goes
as the approved template (``TERRAPRO_WHATSAPP_BROADCAST_TEMPLATE``, one body variable
{{1}} receiving the text); without template, or for a reply/relay, ``WINDOW_CLOSED``.
Meta's codes: 131026 = number unreachable (the person is marked so), 131047 = the
window closed on Meta's side; throttling on the bulk lane pauses it (``RETRY_LATER``).
A send whose request never left (connection refused, connect timeout) is ``NOT_SENT``;
one written without an answer (read timeout, connection lost) is ``UNCERTAIN``.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Protocol

from bot.channels.ratelimit import SendLimiter, announce_write
from bot.channels.whatsapp.button_ids import ButtonIds
from bot.channels.whatsapp.graph import GraphClient, GraphError
from bot.channels.whatsapp.incoming import CHANNEL
from bot.channels.whatsapp.outgoing import render
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendResult, SendStatus, WriteHook, once
from bot.core.ports import PersonDirectory
from bot.core.pump import current_receipt

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=24)
# The number does not exist on WhatsApp or can no longer receive messages.
UNREACHABLE_CODES = frozenset({131026})
# Meta's own verdict that the 24-hour window is closed.
WINDOW_CLOSED_CODES = frozenset({131047})
TEMPLATE_PARAMETER_MAX = 1000  # WhatsApp caps a template variable at 1024 characters
THROTTLE_PAUSE = 1.0  # Graph gives no Retry-After: pause the bulk lane this long

REASON_NO_TEMPLATE = "hors fenêtre 24 h, pas de modèle"
REASON_WINDOW_CLOSED = "hors fenêtre 24 h (refusé par WhatsApp)"
REASON_OUTSIDE_WINDOW = "hors fenêtre 24 h"
REASON_UNREACHABLE = "numéro injoignable sur WhatsApp"
REASON_CONNECT = "whatsapp: injoignable (connexion impossible)"
REASON_NO_ANSWER = "whatsapp: réseau, sans réponse"
REASON_PARTIAL = "whatsapp: message envoyé en partie"


class DeliveryStats(Protocol):
    def record_status(
        self, channel: str, message_id: str, status: str, at: datetime | None = None,
        error_code: str | int | None = None,
    ) -> None: ...

    def count_error(self, channel: str, code: str | int, at: datetime | None = None) -> None: ...


class WhatsAppPort:
    def __init__(
        self,
        graph: GraphClient,
        persons: PersonDirectory,
        stats: DeliveryStats,
        *,
        button_ids: ButtonIds,
        clock: Callable[[], datetime],
        limiter: SendLimiter,
        template_name: str = "",
        template_language: str = "fr",
    ) -> None:
        self._graph = graph
        self._persons = persons
        self._stats = stats
        self._ids = button_ids
        self._clock = clock
        self.limiter = limiter
        self._template = template_name.strip()
        self._template_language = template_language
        # Keyed hash for log lines: lets us tell recipients apart, not find them.
        self._log_key = secrets.token_bytes(16)

    async def within_window(self, wa_id: str) -> bool:
        last = await asyncio.to_thread(self._persons.last_inbound, CHANNEL, wa_id)
        if last is None:
            return False
        if last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        return self._clock() - last < SERVICE_WINDOW

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None, on_write: WriteHook | None = None,
    ) -> SendResult:
        on_write = once(on_write)
        if replying_to is not None:
            return await self.reply(external_id, reply, inbound_at=replying_to, on_write=on_write)
        if await self.within_window(external_id):
            result = await self._send_free_form(external_id, reply, lane, on_write)
            if result.reason != REASON_WINDOW_CLOSED:
                return result
            # The window closed between our check and Meta's: a template is still allowed.
        if lane is not Lane.BULK:
            return SendResult.window_closed(REASON_OUTSIDE_WINDOW)
        if not self._template:
            return SendResult.window_closed(REASON_NO_TEMPLATE)
        return await self._send_payload(
            external_id, self._template_payload(external_id, reply.text), lane, on_write
        )

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        return SendResult.failed("whatsapp: modification impossible")

    async def reply(
        self, wa_id: str, reply: Reply, *, inbound_at: datetime, on_write: WriteHook | None = None
    ) -> SendResult:
        """The answer to a message just received: its window is known from that message, since
        the person row may be gone by now (they asked to delete their data)."""
        if inbound_at.tzinfo is None:
            inbound_at = inbound_at.replace(tzinfo=timezone.utc)
        if self._clock() - inbound_at >= SERVICE_WINDOW:
            return SendResult.window_closed(REASON_OUTSIDE_WINDOW)
        return await self._send_free_form(wa_id, reply, Lane.PRIORITY, on_write)

    async def _send_free_form(
        self, wa_id: str, reply: Reply, lane: Lane, on_write: WriteHook | None = None
    ) -> SendResult:
        payloads = render(wa_id, reply, self._ids) if not reply.buttons else await asyncio.to_thread(
            render, wa_id, reply, self._ids  # long button payloads go to the shared store
        )
        result = SendResult.failed("whatsapp: message vide")
        for n, payload in enumerate(payloads):
            result = await self._send_payload(wa_id, payload, lane, on_write)
            if not result.sent:
                if n and result.status is SendStatus.NOT_SENT:
                    return SendResult.failed(REASON_PARTIAL)  # the first parts did arrive
                return result
        return result

    def _template_payload(self, wa_id: str, text: str) -> dict[str, Any]:
        template: dict[str, Any] = {
            "name": self._template,
            "language": {"code": self._template_language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text[:TEMPLATE_PARAMETER_MAX]}]}],
        }
        return {"messaging_product": "whatsapp", "to": wa_id, "type": "template", "template": template}

    async def _send_payload(
        self, wa_id: str, payload: dict[str, Any], lane: Lane, on_write: WriteHook | None = None
    ) -> SendResult:
        slot = await self.limiter.acquire(lane)
        await announce_write(slot, on_write)
        try:
            # A broadcast that may have arrived is never sent twice.
            message_id = await self._graph.send_message(payload, retry_uncertain=lane is not Lane.BULK)
        except GraphError as exc:
            return await self._failed(wa_id, exc, lane)
        finally:
            await slot.done()
        if message_id:
            await self._record_accepted(message_id)
        return SendResult.ok(message_id or None)

    async def _record_accepted(self, message_id: str) -> None:
        record = partial(self._stats.record_status, CHANNEL, message_id, "accepted", self._clock())
        receipt = current_receipt()
        if receipt is not None and not receipt.finished:
            receipt.defer(record)  # sent from the outbox: written as its row is marked sent
            return
        try:
            await asyncio.to_thread(record)
        except Exception as stats_error:  # it was sent: a statistic must not say otherwise
            log.warning("whatsapp status not recorded: %s", type(stats_error).__name__)

    async def _failed(self, wa_id: str, exc: GraphError, lane: Lane) -> SendResult:
        code = exc.code if exc.code is not None else f"http{exc.status}"
        try:
            await asyncio.to_thread(self._stats.count_error, CHANNEL, code, self._clock())
        except Exception as stats_error:  # a statistic must not change what the send's outcome says
            log.warning("whatsapp error count not recorded: %s", type(stats_error).__name__)
        log.warning("whatsapp send failed: code %s, recipient %s", code, self.recipient_tag(wa_id))
        if exc.code in UNREACHABLE_CODES:
            await asyncio.to_thread(self._persons.mark_unreachable, CHANNEL, wa_id)
            return SendResult.unreachable(REASON_UNREACHABLE)
        if exc.code in WINDOW_CLOSED_CODES:
            return SendResult.window_closed(REASON_WINDOW_CLOSED)
        if exc.maybe_delivered:
            return SendResult.uncertain(REASON_NO_ANSWER)
        if exc.throttled and lane is Lane.BULK:
            await self.limiter.pause(THROTTLE_PAUSE)
            return SendResult.retry_later(THROTTLE_PAUSE)
        if exc.never_left:
            return SendResult.not_sent(REASON_CONNECT)
        return SendResult.failed(f"whatsapp: code {code}")

    def recipient_tag(self, wa_id: str) -> str:
        return hmac.new(self._log_key, wa_id.encode(), hashlib.sha256).hexdigest()[:8]
