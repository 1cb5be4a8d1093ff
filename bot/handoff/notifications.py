"""One message for one person, as it travels between workers, and its delivery."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.messages import Button, Reply
from bot.core.outbound import OutboundPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    channel: str
    external_id: str
    reply: Reply
    # Edit this earlier message instead of sending a new one.
    edit_ref: str | None = None
    # (ticket id, referent id): remember the sent message so it can be edited when the ticket is taken.
    notice_for: tuple[int, int] | None = None

    def to_json(self) -> str:
        return json.dumps({
            "channel": self.channel,
            "external_id": self.external_id,
            "text": self.reply.text,
            "buttons": [[b.title, b.payload] for b in self.reply.buttons],
            "edit_ref": self.edit_ref,
            "notice_for": list(self.notice_for) if self.notice_for else None,
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Notification:
        data: dict[str, Any] = json.loads(raw)
        notice = data.get("notice_for")
        return cls(
            channel=str(data["channel"]),
            external_id=str(data["external_id"]),
            reply=Reply(str(data.get("text") or ""), tuple(Button(str(t), str(p)) for t, p in data.get("buttons") or [])),
            edit_ref=data.get("edit_ref"),
            notice_for=(int(notice[0]), int(notice[1])) if notice else None,
        )


class NoticeLog(Protocol):
    """The part of NoticeRepository the dispatcher needs."""

    def record(self, ticket_id: int, referent_id: int, message_ref: str) -> None: ...


class NotificationDispatcher:
    def __init__(self, port: OutboundPort, notices: NoticeLog) -> None:
        self._port = port
        self._notices = notices

    async def dispatch(self, notification: Notification) -> None:
        # A failed delivery must not stop the queue: logged (no text, no id) and dropped;
        # re-announcement covers lost announcements.
        try:
            if notification.edit_ref is not None:
                await self._port.edit(
                    notification.channel, notification.external_id, notification.edit_ref, notification.reply
                )
                return
            result = await self._port.send(notification.channel, notification.external_id, notification.reply)
            if result.sent and result.message_ref and notification.notice_for:
                await asyncio.to_thread(self._notices.record, *notification.notice_for, result.message_ref)
        except Exception as exc:
            log.error("handoff delivery failed on %s: %s", notification.channel, type(exc).__name__)
