"""The Cloud API webhook: verification handshake, signed POSTs, quick 200s.

A POST is checked (size, signature, shape) and each message written to the
durable inbox (deduplicated there) before Meta gets its 200: WhatsApp does not
redeliver after a 200. The inbox pump calls the core and the Graph API
afterwards, one person's messages in order.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.channels.replies import ReplyOutbox
from bot.channels.whatsapp.button_ids import ButtonIds
from bot.channels.whatsapp.incoming import CHANNEL, Inbound, StatusUpdate, parse_webhook
from bot.channels.whatsapp.port import UNREACHABLE_CODES, DeliveryStats, WhatsAppPort
from bot.core.errors import BadInput, ServiceUnavailable, user_message_for
from bot.core.messages import Reply, message_from_dict, message_to_dict
from bot.core.ports import MessageHandler, PersonDirectory
from bot.core.pump import QueuePump
from bot.storage.base import as_utc

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# Past this many unhandled messages the webhook answers 503 and Meta retries later.
MAX_BACKLOG = 20_000


class PayloadTooLarge(Exception):
    pass


class WhatsAppWebhook:
    def __init__(
        self,
        *,
        verify_token: str,
        app_secret: str,
        phone_number_id: str,
        handler: MessageHandler,
        port: WhatsAppPort,
        persons: PersonDirectory,
        stats: DeliveryStats,
        inbox: QueuePump,
        button_ids: ButtonIds,
        clock: Callable[[], datetime],
        max_body: int = MAX_BODY_BYTES,
        max_backlog: int = MAX_BACKLOG,
        replies: ReplyOutbox | None = None,
    ) -> None:
        """``replies``: the durable outbox for answers (always, in ``serve``); without it
        (the channel's own unit tests) answers go straight to the port after the turn."""
        self._replies = replies
        self._verify_token = verify_token
        self._secret = app_secret.encode()
        self._phone_number_id = phone_number_id
        self._handler = handler
        self._port = port
        self._persons = persons
        self._stats = stats
        self._inbox = inbox
        self._ids = button_ids
        self._clock = clock
        self._max_body = max_body
        self.max_backlog = max_backlog

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return self.verify(request)
        return await self.receive(request)

    def verify(self, request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if (
            self._verify_token
            and params.get("hub.mode") == "subscribe"
            and hmac.compare_digest(token.encode(), self._verify_token.encode())
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(self, request: Request) -> Response:
        try:
            raw = await self._read_body(request)
        except PayloadTooLarge:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if self._secret:
            signature = request.headers.get("x-hub-signature-256")
            if not signature:
                return JSONResponse({"error": "missing signature"}, status_code=401)
            if not self._signature_ok(raw, signature):
                return JSONResponse({"error": "bad signature"}, status_code=403)
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadInput("body is not JSON") from None
        # Off the event loop: a long button id is looked up in the shared store.
        batch = await asyncio.to_thread(parse_webhook, body, self._ids, self._phone_number_id)
        if batch.skipped:
            log.info("whatsapp webhook: %d malformed item(s) skipped", batch.skipped)
            if not (batch.messages or batch.statuses):
                raise BadInput("no valid item in the webhook body")
        if batch.messages and await asyncio.to_thread(self._inbox.backlog) >= self.max_backlog:
            # Nothing was written: Meta redelivers the whole POST later.
            raise ServiceUnavailable("inbox backlog full")
        if batch.messages or batch.statuses:
            await asyncio.to_thread(self._persist, batch.messages, batch.statuses)
        return JSONResponse({"status": "ok"})

    def _persist(self, messages: list[Inbound], statuses: list[StatusUpdate]) -> None:
        """Everything durable before the 200 (runs in a worker thread)."""
        for inbound in messages:
            message = inbound.message
            self._inbox.accept(
                CHANNEL,
                message.message_id or f"no-id:{uuid.uuid4().hex}",
                f"{CHANNEL}:{message.user_id}",
                {"message": message_to_dict(message), "sent_at": inbound.sent_at.isoformat() if inbound.sent_at else None},
            )
        for status in statuses:
            self._record_status(status)

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise PayloadTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_body:
                raise PayloadTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _signature_ok(self, raw: bytes, header: str) -> bool:
        expected = "sha256=" + hmac.new(self._secret, raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), header.strip().lower().encode())

    async def process_item(self, payload: dict[str, Any]) -> None:
        """Handle one inbox row (called by the inbox pump)."""
        sent_at = payload.get("sent_at")
        await self._process(Inbound(
            message_from_dict(payload["message"]),
            as_utc(datetime.fromisoformat(sent_at)) if sent_at else None,
        ))

    async def _process(self, inbound: Inbound) -> None:
        message = inbound.message
        now = self._clock()
        sent_at = inbound.sent_at if inbound.sent_at and inbound.sent_at <= now else now
        if self._replies is not None:
            # The replies are written to the outbox with the turn (bot.channels.replies).
            await self._handler.handle(
                replace(message, sent_at=sent_at), settle=self._replies.settle(CHANNEL, message.user_id, sent_at)
            )
            return
        await asyncio.to_thread(self._persons.touch_inbound, CHANNEL, message.user_id, sent_at)
        try:
            replies = await self._handler.handle(message)
        except Exception as exc:
            log.error("whatsapp handler failed: %s", type(exc).__name__)
            replies = [Reply(user_message_for(exc))]
        for reply in replies:
            await self._port.reply(message.user_id, reply, inbound_at=sent_at)

    def _record_status(self, update: StatusUpdate) -> None:
        self._stats.record_status(CHANNEL, update.message_id, update.status, update.at, update.error_code)
        if update.status != "failed":
            return
        self._stats.count_error(CHANNEL, update.error_code or "failed", update.at)
        if update.error_code in UNREACHABLE_CODES and update.recipient_id:
            self._persons.mark_unreachable(CHANNEL, update.recipient_id)
