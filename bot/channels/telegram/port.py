"""Telegram's outbound port: ``send(channel, chat_id, reply, lane) -> SendResult``.

Through python-telegram-bot's ``Bot`` (an ExtBot built with ``TelegramRateLimiter``,
which paces every send by lane). Here: 429 (priority lane: wait and retry, bounded;
bulk lane: ``RETRY_LATER`` at once, the limiter has paused the lane), 403 = blocked
(``UNREACHABLE``, remembered in the shared store so every process stops sending),
network errors retried with backoff, bad requests given up. When the network retries
run out the result says whether the message may have reached Telegram: ``NOT_SENT``
if the last attempt never left (connection refused, connect timeout, no free
connection) and none was left unanswered, ``UNCERTAIN`` if one was written and its
answer lost, ``FAILED`` after repeated server errors (5xx: answered, not delivered).
On the bulk lane an unanswered request is not retried: a broadcast is never sent twice.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.channels.telegram.adapter import CHANNEL, reply_to_send_kwargs
from bot.channels.telegram.callback_data import ButtonCodec
from bot.channels.telegram.flood import retry_after_seconds
from bot.channels.telegram.privacy import chat_ref
from bot.channels.telegram.ratelimiter import Paced
from bot.core.messages import Reply
from bot.core.outbound import Lane, SendResult, SendStatus, WriteHook, once
from bot.core.ports import PersonDirectory
from bot.storage.shared_keys import SharedKeyStore, SharedMap

log = logging.getLogger(__name__)

REASON_BLOCKED = "a bloqué le bot"
REASON_BAD_REQUEST = "telegram: requête refusée"
REASON_NETWORK = "telegram: réseau, sans réponse"
REASON_CONNECT = "telegram: injoignable (connexion impossible)"
REASON_SERVER = "telegram: erreur du serveur répétée"
REASON_PARTIAL = "telegram: message envoyé en partie"
REASON_RATE_LIMITED = "telegram: limite de débit (429) répétée"
REASON_ERROR = "telegram: erreur"
REASON_NOTHING = "telegram: message vide"
BLOCKED_NAMESPACE = "telegram:blocked"
CAPTION_LIMIT = 1024  # Telegram's limit for a document's caption
# A person who blocked the bot and never wrote again: forget after a year.
BLOCKED_TTL = timedelta(days=365)


# httpx errors raised before a byte of the request was written (PTB chains them as __cause__).
_NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_left(exc: BaseException) -> bool:
    """A NetworkError whose request was certainly not written (connection never made)."""
    return isinstance(exc.__cause__, _NEVER_LEFT)


def unanswered(exc: BaseException) -> bool:
    """A NetworkError after the request was (maybe partly) written and before any answer:
    Telegram may have the message. A 5xx is an answer, not this."""
    return isinstance(exc.__cause__, httpx.TransportError) and not never_left(exc)


def blocked_chats(store: SharedKeyStore) -> SharedMap:
    return store.map(BLOCKED_NAMESPACE, BLOCKED_TTL)


def _api_chat_id(chat_id: int | str) -> int | str:
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


class TelegramPort:
    """One per bot; conversation replies, referent relays and broadcasts all go through it."""

    def __init__(
        self,
        bot: ExtBot,
        persons: PersonDirectory,
        codec: ButtonCodec,
        blocked: SharedMap,
        *,
        max_rate_limit_retries: int = 3,
        max_network_retries: int = 4,
        backoff_base: float = 0.5,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._persons = persons
        self._codec = codec
        self._blocked = blocked
        self._max_429 = max_rate_limit_retries
        self._max_network = max_network_retries
        self._backoff_base = backoff_base
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    async def is_blocked(self, chat_id: int | str) -> bool:
        return await self._blocked.aget(str(chat_id)) is not None

    async def mark_blocked(self, chat_id: int | str) -> None:
        """The person blocked the bot (403 or a my_chat_member update)."""
        key = str(chat_id)
        log.info("telegram: chat=%s blocked the bot", chat_ref(key))
        await self._blocked.aput(key, "1")
        try:
            await asyncio.to_thread(self._persons.mark_unreachable, CHANNEL, key)
        except Exception as exc:  # the directory failing must not hide the 403 outcome
            log.error("mark_unreachable failed for chat=%s: %s", chat_ref(key), type(exc).__name__)

    async def mark_reachable(self, chat_id: int | str) -> None:
        """The person wrote again (so unblocked the bot): sending is allowed again."""
        await self._blocked.adelete(str(chat_id))

    async def send(
        self, channel: str, external_id: str, reply: Reply, lane: Lane = Lane.PRIORITY,
        *, replying_to: datetime | None = None,  # Telegram has no reply window
        on_write: WriteHook | None = None,
    ) -> SendResult:
        if await self.is_blocked(external_id):
            return SendResult.unreachable(REASON_BLOCKED)
        on_write = once(on_write)
        if reply.document is not None:
            return await self._send_document(external_id, reply, lane, on_write)
        calls = await self._render(external_id, reply)
        if not calls:
            return SendResult.failed(REASON_NOTHING)
        result = SendResult.failed(REASON_NOTHING)
        for n, kwargs in enumerate(calls):
            result = await self._call(self._bot.send_message, kwargs, lane, on_write)
            if not result.sent:
                if n and result.status is SendStatus.NOT_SENT:
                    return SendResult.failed(REASON_PARTIAL)  # the first parts did arrive
                return result
        return result

    async def _send_document(
        self, external_id: str, reply: Reply, lane: Lane, on_write: WriteHook | None = None
    ) -> SendResult:
        """A file (e.g. the CSV of /questions for an admin referent), the reply's text as caption."""
        document = reply.document
        kwargs = {
            "chat_id": _api_chat_id(external_id), "caption": reply.text[:CAPTION_LIMIT] or None,
            "document": InputFile(document.content, filename=document.filename),
        }
        return await self._call(self._bot.send_document, kwargs, lane, on_write)

    async def edit(self, channel: str, external_id: str, message_ref: str, reply: Reply) -> SendResult:
        """Replace an earlier message's text (and its buttons: none if the reply has none)."""
        if await self.is_blocked(external_id):
            return SendResult.unreachable(REASON_BLOCKED)
        calls = await self._render(external_id, reply)
        if not calls:
            return SendResult.failed(REASON_NOTHING)
        # An edited message holds one chunk: the first, with the keyboard if any.
        kwargs = dict(calls[0])
        if reply.buttons and "reply_markup" not in kwargs:
            kwargs["reply_markup"] = calls[-1]["reply_markup"]
        kwargs["message_id"] = int(message_ref)
        return await self._call(self._bot.edit_message_text, kwargs, Lane.PRIORITY)

    async def _render(self, external_id: str, reply: Reply) -> list[dict[str, Any]]:
        if not reply.buttons:
            return reply_to_send_kwargs(_api_chat_id(external_id), reply, self._codec)
        # Long button payloads are written to the shared store: off the event loop.
        return await asyncio.to_thread(reply_to_send_kwargs, _api_chat_id(external_id), reply, self._codec)

    async def _call(
        self, method: Callable[..., Awaitable[Any]], kwargs: dict[str, Any], lane: Lane,
        on_write: WriteHook | None = None,
    ) -> SendResult:
        key = str(kwargs["chat_id"])
        rate_limited = network_failures = 0
        maybe_delivered = False  # some attempt was written and got no answer
        limit_args: Lane | Paced = Paced(lane, on_write) if on_write is not None else lane
        while True:
            try:
                sent = await method(**kwargs, rate_limit_args=limit_args)
            except RetryAfter as exc:
                delay = retry_after_seconds(exc)
                if lane is Lane.BULK:
                    return SendResult.retry_later(delay)
                rate_limited += 1
                if rate_limited > self._max_429 or delay > self._max_retry_after:
                    log.warning("telegram 429: giving up chat=%s after %d", chat_ref(key), rate_limited)
                    return SendResult.failed(REASON_RATE_LIMITED)
                log.info("telegram 429: chat=%s retry in %.1fs", chat_ref(key), delay)
                await self._sleep(delay)
            except Forbidden:
                await self.mark_blocked(key)
                return SendResult.unreachable(REASON_BLOCKED)
            except BadRequest as exc:
                # Checked before NetworkError, its parent: retrying cannot fix a bad request.
                log.warning("telegram bad request chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendResult.failed(REASON_BAD_REQUEST)
            except NetworkError as exc:  # TimedOut included
                network_failures += 1
                no_answer = unanswered(exc)
                maybe_delivered = maybe_delivered or no_answer
                if no_answer and lane is Lane.BULK:
                    # A broadcast that may have arrived is never sent twice.
                    log.warning("telegram %s: no answer, chat=%s not retried", type(exc).__name__, chat_ref(key))
                    return SendResult.uncertain(REASON_NETWORK)
                if network_failures > self._max_network:
                    log.warning("telegram network error: giving up chat=%s", chat_ref(key))
                    if maybe_delivered:
                        return SendResult.uncertain(REASON_NETWORK)
                    if never_left(exc):
                        return SendResult.not_sent(REASON_CONNECT)
                    return SendResult.failed(REASON_SERVER)
                delay = self._backoff_base * 2 ** (network_failures - 1)
                log.info("telegram %s: chat=%s retry in %.1fs", type(exc).__name__, chat_ref(key), delay)
                await self._sleep(delay)
            except TelegramError as exc:
                log.warning("telegram error chat=%s: %s", chat_ref(key), type(exc).__name__)
                return SendResult.failed(REASON_ERROR)
            else:
                message_id = getattr(sent, "message_id", None)
                return SendResult.ok(str(message_id) if message_id is not None else None)
