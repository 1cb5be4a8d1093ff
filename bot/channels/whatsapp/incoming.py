"""Turn a Cloud API webhook body into core messages and delivery statuses.

Pure: no I/O. A body that is not the Cloud API's shape raises ``BadInput``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.channels.whatsapp.button_ids import ButtonIds
from bot.core.errors import BadInput
from bot.core.messages import IncomingMessage, Location, MessageKind

CHANNEL = "whatsapp"

_MEDIA_KINDS = {
    "audio": MessageKind.VOICE,
    "voice": MessageKind.VOICE,
    "image": MessageKind.IMAGE,
    "sticker": MessageKind.STICKER,
    "document": MessageKind.DOCUMENT,
    "video": MessageKind.VIDEO,
}


@dataclass(frozen=True)
class Inbound:
    message: IncomingMessage
    # When the person wrote it (opens the 24-hour window), if WhatsApp said.
    sent_at: datetime | None


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str  # sent, delivered, read, failed
    recipient_id: str
    at: datetime | None
    error_code: int | None


@dataclass(frozen=True)
class WebhookBatch:
    messages: list[Inbound]
    statuses: list[StatusUpdate]
    # Malformed items left out; the valid ones of the same POST are kept.
    skipped: int = 0


def parse_webhook(body: Any, ids: ButtonIds, phone_number_id: str | None = None) -> WebhookBatch:
    """Everything in one POST. Changes for another phone number are skipped.

    Only a body that is not a webhook at all raises ``BadInput``: one bad
    message must not cost the other messages of the same POST.
    """
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise BadInput("not a WhatsApp webhook body")
    messages: list[Inbound] = []
    statuses: list[StatusUpdate] = []
    values, skipped = _change_values(body["entry"], phone_number_id)
    for value in values:
        try:
            names = _profile_names(value.get("contacts"))
        except BadInput:
            names, skipped = {}, skipped + 1
        for kind, items in (("messages", value.get("messages")), ("statuses", value.get("statuses"))):
            if items is None:
                continue
            if not isinstance(items, list):
                skipped += 1
                continue
            for raw in items:
                try:
                    if not isinstance(raw, dict):
                        raise BadInput("expected an object")
                    if kind == "messages":
                        messages.append(_translate(raw, names, ids))
                    else:
                        statuses.append(_status(raw))
                except BadInput:
                    skipped += 1
    return WebhookBatch(messages, statuses, skipped)


def _change_values(entries: list[Any], phone_number_id: str | None) -> tuple[list[dict[str, Any]], int]:
    """The ``value`` of every "messages" change for our number, and how many malformed parts were left out."""
    values, skipped = [], 0
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            skipped += 1
            continue
        for change in changes:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                skipped += 1
                continue
            if change.get("field", "messages") != "messages":
                continue
            value = change["value"]
            metadata = value.get("metadata")
            if phone_number_id and isinstance(metadata, dict):
                if str(metadata.get("phone_number_id", phone_number_id)) != phone_number_id:
                    continue
            values.append(value)
    return values, skipped


def _translate(raw: dict[str, Any], names: dict[str, str], ids: ButtonIds) -> Inbound:
    wa_id, message_id, kind = raw.get("from"), raw.get("id"), raw.get("type")
    if not all(isinstance(v, str) and v for v in (wa_id, message_id, kind)):
        raise BadInput("message without from/id/type")
    base = {
        "channel": CHANNEL,
        "user_id": wa_id,
        "message_id": message_id,
        "display_name": names.get(wa_id),
    }
    content = raw.get(kind)
    # Contacts come as a list; every other type as an object (or nothing).
    content = {} if kind == "contacts" else _dict(content)
    return Inbound(_message(kind, content, base, ids), _timestamp(raw.get("timestamp")))


def _message(kind: str, content: dict[str, Any], base: dict[str, Any], ids: ButtonIds) -> IncomingMessage:
    if kind == "text":
        return IncomingMessage(text=_str(content.get("body")), **base)
    if kind == "interactive":
        itype = _str(content.get("type"))
        if itype in ("button_reply", "list_reply"):
            reply = _dict(content.get(itype))
            return _button(_str(reply.get("id")), _str(reply.get("title")), base, ids)
        return IncomingMessage(kind=MessageKind.OTHER, **base)
    if kind == "button":  # quick reply on a template (broadcasts)
        return _button(_str(content.get("payload")), _str(content.get("text")), base, ids)
    if kind in _MEDIA_KINDS:
        return IncomingMessage(kind=_MEDIA_KINDS[kind], text=_str(content.get("caption")), **base)
    if kind == "location":
        try:
            point = Location(float(content["latitude"]), float(content["longitude"]))
        except (KeyError, TypeError, ValueError):
            raise BadInput("location without coordinates") from None
        return IncomingMessage(kind=MessageKind.LOCATION, location=point, **base)
    if kind == "contacts":
        return IncomingMessage(kind=MessageKind.CONTACT, **base)
    return IncomingMessage(kind=MessageKind.OTHER, **base)


def _button(button_id: str, title: str, base: dict[str, Any], ids: ButtonIds) -> IncomingMessage:
    payload = ids.decode(button_id) if button_id else None
    if payload is None:
        # Unknown short key (e.g. after a restart): the title is what they chose.
        return IncomingMessage(text=title, **base)
    return IncomingMessage(kind=MessageKind.BUTTON, payload=payload, text=title, **base)


def _status(raw: dict[str, Any]) -> StatusUpdate:
    message_id, status = raw.get("id"), raw.get("status")
    if not isinstance(message_id, str) or not isinstance(status, str):
        raise BadInput("status without id/status")
    errors = _list_of_dicts(raw.get("errors"))
    code = errors[0].get("code") if errors else None
    return StatusUpdate(
        message_id=message_id,
        status=status,
        recipient_id=_str(raw.get("recipient_id")),
        at=_timestamp(raw.get("timestamp")),
        error_code=code if isinstance(code, int) else None,
    )


def _profile_names(contacts: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list_of_dicts(contacts):
        words = _str(_dict(contact.get("profile")).get("name")).split()
        if words and isinstance(contact.get("wa_id"), str):
            # The first word only: enough for a referent to greet them.
            names[contact["wa_id"]] = words[0][:40]
    return names


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput("expected an object")
    return value


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInput("expected a list of objects")
    return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
