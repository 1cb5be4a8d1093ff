"""Plugs the Telegram channel's sender into the broadcast port.

Duck-typed on ``TelegramSender.send(chat_id, reply) -> SendOutcome`` (values
"sent", "blocked", "failed") so this package never imports python-telegram-bot.
The sender already marks a blocked person unreachable.
"""
from __future__ import annotations

from typing import Any, Protocol

from bot.broadcast.ports import Outgoing, Recipient, SendResult
from bot.core.messages import Reply

REASON_BLOCKED = "a bloqué le bot"


class _TelegramSending(Protocol):
    async def send(self, chat_id: int | str, reply: Reply, *, bulk: bool = False) -> Any: ...


class TelegramRecipientSender:
    def __init__(self, sender: _TelegramSending) -> None:
        self._sender = sender

    async def send(self, recipient: Recipient, message: Outgoing) -> SendResult:
        # bulk: the delivery engine already holds this message's slot in the broadcast limiter.
        outcome = await self._sender.send(recipient.external_id, Reply(message.text, tuple(message.buttons)), bulk=True)
        value = getattr(outcome, "value", outcome)
        if value == "sent":
            return SendResult.sent()
        if value == "blocked":
            return SendResult.unreachable(REASON_BLOCKED)
        retry_after = getattr(outcome, "retry_after", None)
        if value == "retry_after" and retry_after is not None:
            return SendResult.retry(float(retry_after))
        return SendResult.failed(f"telegram: {value}")
