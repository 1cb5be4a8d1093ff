"""What crosses the boundary between the channels and the core.

A channel adapter turns a platform update into one ``IncomingMessage`` and sends
each ``Reply`` it gets back. The core never sees a platform object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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
