"""One message for one person, as it travels between workers, and its delivery."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.messages import Button, MediaRef, Reply
from bot.core.outbound import OutboundPort, SendResult, SendStatus
from bot.core.pump import GiveUp, RetryLater
from bot.handoff.texts import HandoffTexts

log = logging.getLogger(__name__)

NOT_SENT_RETRY = 5.0


@dataclass(frozen=True)
class Notification:
    channel: str
    external_id: str
    reply: Reply
    # Edit this earlier message instead of sending a new one.
    edit_ref: str | None = None
    # (ticket id, referent id): remember the sent message so it can be edited when the ticket is taken.
    notice_for: tuple[int, int] | None = None
    # (channel, external id, first name): whom to tell, and about whom, if this can never be delivered
    # (a referent's relay to a young person whose WhatsApp window closed).
    on_failure: tuple[str, str, str] | None = None
    # A voice note or photo to relay, ``reply.text`` being its caption (bot.handoff.media).
    media: MediaRef | None = None
    # (channel, external id) of whoever sent the media: told in plain words if it cannot be relayed.
    failure_to: tuple[str, str] | None = None
    # The answer to a received message sent at this time (WhatsApp's 24-hour window counts from it).
    replying_to: datetime | None = None

    def to_json(self) -> str:
        return json.dumps({
            "channel": self.channel,
            "external_id": self.external_id,
            "text": self.reply.text,
            "buttons": [[b.title, b.payload] for b in self.reply.buttons],
            "edit_ref": self.edit_ref,
            "notice_for": list(self.notice_for) if self.notice_for else None,
            "on_failure": list(self.on_failure) if self.on_failure else None,
            "media": self.media.to_dict() if self.media else None,
            "failure_to": list(self.failure_to) if self.failure_to else None,
            "replying_to": self.replying_to.isoformat() if self.replying_to else None,
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Notification:
        data: dict[str, Any] = json.loads(raw)
        notice = data.get("notice_for")
        failure = data.get("on_failure")
        failure_to = data.get("failure_to")
        return cls(
            channel=str(data["channel"]),
            external_id=str(data["external_id"]),
            reply=Reply(str(data.get("text") or ""), tuple(Button(str(t), str(p)) for t, p in data.get("buttons") or [])),
            edit_ref=data.get("edit_ref"),
            notice_for=(int(notice[0]), int(notice[1])) if notice else None,
            on_failure=(str(failure[0]), str(failure[1]), str(failure[2])) if failure else None,
            media=MediaRef.from_dict(data["media"]) if data.get("media") else None,
            failure_to=(str(failure_to[0]), str(failure_to[1])) if failure_to else None,
            replying_to=datetime.fromisoformat(data["replying_to"]) if data.get("replying_to") else None,
        )


class NoticeLog(Protocol):
    """The part of NoticeRepository the dispatcher needs."""

    def record(self, ticket_id: int, referent_id: int, message_ref: str) -> None: ...


class MediaRelayer(Protocol):
    async def relay(self, media: MediaRef, to_channel: str, to_id: str, caption: str) -> str | None: ...


class NotificationDispatcher:
    """``media``: relays voice notes and photos; ``failure_text(reason)`` tells their sender why not."""

    def __init__(
        self, port: OutboundPort, notices: NoticeLog, media: MediaRelayer | None = None,
        failure_text: Any = None,
    ) -> None:
        self._port = port
        self._notices = notices
        self._media = media
        self._failure_text = failure_text

    async def dispatch(self, notification: Notification) -> SendResult:
        """Send (or edit) once; never raises for a delivery problem."""
        try:
            if notification.media is not None:
                # A media relay reports its own failure to whoever sent it (``failure_to``): never retried.
                await self._relay_media(notification)
                return SendResult.ok()
            if notification.edit_ref is not None:
                return await self._port.edit(
                    notification.channel, notification.external_id, notification.edit_ref, notification.reply
                )
            result = await self._port.send(
                notification.channel, notification.external_id, notification.reply,
                replying_to=notification.replying_to,
            )
            if result.sent and result.message_ref and notification.notice_for:
                await asyncio.to_thread(self._notices.record, *notification.notice_for, result.message_ref)
            return result
        except Exception as exc:
            log.error("handoff delivery failed on %s: %s", notification.channel, type(exc).__name__)
            return SendResult.failed(type(exc).__name__)

    async def _relay_media(self, notification: Notification) -> None:
        media = notification.media
        assert media is not None
        reason = "unavailable"
        if self._media is not None:
            found = await self._media.relay(media, notification.channel, notification.external_id, notification.reply.text)
            if found is None:
                return
            reason = found
        if notification.failure_to is not None and self._failure_text is not None:
            channel, external_id = notification.failure_to
            await self._port.send(channel, external_id, Reply(self._failure_text(reason, media.kind)))


class OutboxDelivery:
    """The outbox pump's handler for hand-off notifications (any channel).

    A platform "later" is retried after the delay it gave, an unreachable platform (the
    request never left) after ``NOT_SENT_RETRY`` seconds; a final failure is recorded,
    and whoever the notification names in ``on_failure`` is told in plain words.
    """

    def __init__(self, dispatcher: NotificationDispatcher, bus: Any, texts: HandoffTexts) -> None:
        self._dispatcher = dispatcher
        self._bus = bus  # a NotificationBus (bot.handoff.bus)
        self._texts = texts

    async def __call__(self, payload: dict[str, Any]) -> None:
        notification = _notification(payload)
        result = await self._dispatcher.dispatch(notification)
        if result.sent:
            return
        if result.status is SendStatus.RETRY_LATER:
            raise RetryLater("retry_after", max(1.0, result.retry_after or 1.0))
        if result.status is SendStatus.NOT_SENT:
            # The platform could not be reached: nothing left, so trying again cannot duplicate it.
            raise RetryLater("not_sent", NOT_SENT_RETRY)
        await self._tell_sender(notification, result)
        raise GiveUp(f"{result.status.value}: {result.reason or '-'}")

    async def exhausted(self, payload: dict[str, Any], reason: str) -> None:
        """The pump gave the row up after its last "later" (429s, the platform unreachable
        for every attempt): a final failure like any other, told to whoever sent it."""
        await self._tell_sender(_notification(payload), SendResult.failed(reason))

    async def _tell_sender(self, notification: Notification, result: SendResult) -> None:
        if notification.on_failure and notification.edit_ref is None:
            channel, external_id, who = notification.on_failure
            await self._bus.publish(Notification(channel, external_id, Reply(failure_text(self._texts, result, who))))


def _notification(payload: dict[str, Any]) -> Notification:
    try:
        return Notification.from_json(payload["notification"])
    except (ValueError, KeyError, TypeError, IndexError):
        raise GiveUp("malformed notification") from None


def failure_text(texts: HandoffTexts, result: SendResult, who: str) -> str:
    """What a referent reads when their message could not reach ``who``."""
    if result.status is SendStatus.WINDOW_CLOSED:
        return texts.relay_failed_window.format(who=who)
    if result.status is SendStatus.UNREACHABLE:
        return texts.relay_failed_unreachable.format(who=who)
    return texts.relay_failed.format(who=who)
