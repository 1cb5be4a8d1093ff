"""What crosses the boundary between the channels and the core.

A channel adapter turns a platform update into one ``IncomingMessage`` and sends
each ``Reply`` it gets back. The core never sees a platform object.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any


class MessageKind(str, Enum):
    TEXT = "text"
    # A button press: ``payload`` holds the button's payload.
    BUTTON = "button"
    VOICE = "voice"
    IMAGE = "image"
    STICKER = "sticker"
    DOCUMENT = "document"
    VIDEO = "video"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MediaRef:
    """A voice note or photo still held by the platform (never its content).

    ``file_id``: WhatsApp media id or Telegram file_id; valid on ``channel`` only.
    """

    channel: str
    file_id: str
    kind: str  # "voice" or "image"
    mime_type: str = ""
    size: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"channel": self.channel, "file_id": self.file_id, "kind": self.kind,
                "mime_type": self.mime_type, "size": self.size}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> MediaRef:
        size = data.get("size")
        return cls(str(data["channel"]), str(data["file_id"]), str(data["kind"]),
                   str(data.get("mime_type") or ""), int(size) if isinstance(size, int) else None)


@dataclass(frozen=True)
class IncomingMessage:
    channel: str  # "cli", "telegram", "whatsapp"
    user_id: str  # the platform's id for the person (chat id, wa_id, CLI name)
    text: str = ""
    kind: MessageKind = MessageKind.TEXT
    payload: str | None = None
    location: Location | None = None
    # First name or alias as the platform gives it; shown to a referent only.
    display_name: str | None = None
    # The platform's message id, used to drop duplicate deliveries.
    message_id: str | None = None
    # A voice note or photo that a referent may receive.
    media: MediaRef | None = None
    # When the person sent it, as the platform says (their last-inbound time; WhatsApp's
    # 24-hour window). None where no platform tells (the terminal).
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Button:
    title: str
    # What comes back when the button is pressed: a Rasa-style intent payload
    # such as '/search_training{"filiere": "solaire"}' or plain text.
    payload: str


@dataclass(frozen=True)
class Document:
    """A file sent with a reply (e.g. a CSV for an admin referent); never a young person's data."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    # Channels that can send files send it with ``text`` as caption.
    document: Document | None = None


def message_to_dict(message: IncomingMessage) -> dict[str, Any]:
    """A JSON-able form, for the durable inbox (it may hold text: the inbox clears it once handled)."""
    data = {f.name: getattr(message, f.name) for f in fields(message)}
    data["kind"] = message.kind.value
    if message.location is not None:
        data["location"] = {"latitude": message.location.latitude, "longitude": message.location.longitude}
    if message.media is not None:
        data["media"] = message.media.to_dict()
    if message.sent_at is not None:
        data["sent_at"] = message.sent_at.isoformat()
    return data


def message_from_dict(data: dict[str, Any]) -> IncomingMessage:
    """The inverse of ``message_to_dict``; unknown keys (from a newer release) are ignored."""
    known = {f.name for f in fields(IncomingMessage)}
    values = {k: v for k, v in data.items() if k in known}
    values["kind"] = MessageKind(values.get("kind") or MessageKind.TEXT.value)
    location = values.get("location")
    values["location"] = Location(float(location["latitude"]), float(location["longitude"])) if location else None
    media = values.get("media")
    values["media"] = MediaRef.from_dict(media) if media else None
    sent_at = values.get("sent_at")
    values["sent_at"] = datetime.fromisoformat(sent_at) if sent_at else None
    return IncomingMessage(**values)
