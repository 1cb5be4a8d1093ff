"""Plugs the WhatsApp channel's sender into the broadcast port, with the 24-hour rule.

Inside 24 h of the person's last message: a normal message. Outside: only the
approved template (``TERRAPRO_WHATSAPP_BROADCAST_TEMPLATE``, one body variable
{{1}} receiving the text); with no template the person is skipped and the reason
recorded. Duck-typed on ``WhatsAppSender.send(wa_id, reply)`` and
``send_template(wa_id, name, language, parameters)`` returning outcomes whose
values are "sent", "outside_window", "unreachable", "failed".
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from bot.broadcast.ports import Outgoing, Recipient, SendResult
from bot.core.messages import Reply
from bot.storage.base import utcnow

SERVICE_WINDOW = timedelta(hours=24)
REASON_NO_TEMPLATE = "hors fenêtre 24 h, pas de modèle"
REASON_WINDOW_CLOSED = "hors fenêtre 24 h (refusé par WhatsApp)"
REASON_UNREACHABLE = "numéro injoignable sur WhatsApp"


class _WhatsAppSending(Protocol):
    async def send(self, wa_id: str, reply: Reply) -> Any: ...

    async def send_template(
        self, wa_id: str, template_name: str, language: str = "fr", parameters: Sequence[str] = ()
    ) -> Any: ...


class WhatsAppRecipientSender:
    def __init__(
        self,
        sender: _WhatsAppSending,
        template_name: str = "",
        *,
        template_language: str = "fr",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sender = sender
        self._template = template_name.strip()
        self._language = template_language
        self._clock = clock

    def within_window(self, recipient: Recipient) -> bool:
        last = recipient.last_inbound_at
        if last is None:
            return False
        if last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        return self._clock() - last < SERVICE_WINDOW

    async def send(self, recipient: Recipient, message: Outgoing) -> SendResult:
        if self.within_window(recipient):
            outcome = _value(await self._sender.send(recipient.external_id, Reply(message.text, tuple(message.buttons))))
            if outcome != "outside_window":
                return _result(outcome)
            # The window closed between our check and Meta's: the template is still allowed.
        if not self._template:
            return SendResult.skipped(REASON_NO_TEMPLATE)
        parameters = message.template_parameters or (message.text,)
        outcome = _value(await self._sender.send_template(recipient.external_id, self._template, self._language, parameters))
        return _result(outcome)


def _value(outcome: Any) -> str:
    return str(getattr(outcome, "value", outcome))


def _result(outcome: str) -> SendResult:
    if outcome == "sent":
        return SendResult.sent()
    if outcome == "unreachable":
        return SendResult.unreachable(REASON_UNREACHABLE)
    if outcome == "outside_window":
        return SendResult.skipped(REASON_WINDOW_CLOSED, attempted=True)
    return SendResult.failed(f"whatsapp: {outcome}")
