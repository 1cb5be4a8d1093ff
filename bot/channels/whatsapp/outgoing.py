"""Turn one core Reply into the Graph API message bodies that carry it.

Pure functions: WhatsApp's limits live here and nowhere else.
"""
from __future__ import annotations

from typing import Any

from bot.channels.whatsapp.button_ids import ButtonIds
from bot.core.messages import Button, Reply

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
REPLY_BUTTONS_MAX = 3
REPLY_BUTTON_TITLE = 20
LIST_ROWS_MAX = 10
LIST_ROW_TITLE = 24
LIST_ROW_DESCRIPTION = 72
LIST_BUTTON_LABEL = "Choisir"
EMPTY_BODY = "Choisis une option :"


def render(wa_id: str, reply: Reply, ids: ButtonIds) -> list[dict[str, Any]]:
    if not reply.buttons:
        return [_text(wa_id, part) for part in split_text(reply.text, TEXT_LIMIT)]
    head, body = split_tail(reply.text.strip(), INTERACTIVE_BODY_LIMIT)
    messages = [_text(wa_id, part) for part in split_text(head, TEXT_LIMIT)]
    buttons = _unique_payloads(reply.buttons)[:LIST_ROWS_MAX]
    interactive = (
        _reply_buttons(body or EMPTY_BODY, buttons, ids)
        if _fits_reply_buttons(buttons)
        else _list(body or EMPTY_BODY, buttons, ids)
    )
    messages.append(_envelope(wa_id, "interactive", interactive))
    return messages


def _unique_payloads(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    # WhatsApp refuses a message whose button or row ids repeat.
    seen: dict[str, Button] = {}
    for button in buttons:
        seen.setdefault(button.payload, button)
    return tuple(seen.values())


def _fits_reply_buttons(buttons: tuple[Button, ...]) -> bool:
    titles = [b.title.strip() for b in buttons]
    return (
        len(buttons) <= REPLY_BUTTONS_MAX
        and all(0 < len(t) <= REPLY_BUTTON_TITLE for t in titles)
        and len(set(titles)) == len(titles)  # reply button titles must differ
    )


def _reply_buttons(body: str, buttons: tuple[Button, ...], ids: ButtonIds) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": ids.encode(b.payload), "title": b.title.strip()}}
                for b in buttons
            ]
        },
    }


def _list(body: str, buttons: tuple[Button, ...], ids: ButtonIds) -> dict[str, Any]:
    rows = []
    for button in buttons:
        title = button.title.strip() or button.payload
        row: dict[str, Any] = {"id": ids.encode(button.payload), "title": shorten(title, LIST_ROW_TITLE)}
        if len(title) > LIST_ROW_TITLE:
            # The row title is cut; the description shows the rest of it.
            row["description"] = shorten(title, LIST_ROW_DESCRIPTION)
        rows.append(row)
    return {
        "type": "list",
        "body": {"text": body},
        "action": {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]},
    }


def _text(wa_id: str, body: str) -> dict[str, Any]:
    return _envelope(wa_id, "text", {"body": body, "preview_url": False})


def _envelope(wa_id: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa_id,
        "type": kind,
        kind: content,
    }


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–(") + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` characters, cut at paragraph, line or word ends."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = _break_before(text, limit)
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def split_tail(text: str, limit: int) -> tuple[str, str]:
    """(head, tail) with ``tail`` at most ``limit`` characters, cut at a natural break."""
    if len(text) <= limit:
        return "", text
    start = len(text) - limit
    window = text[start:]
    for sep in ("\n\n", "\n", " "):
        pos = window.find(sep)
        if 0 <= pos < limit // 2:
            return text[: start + pos].rstrip(), window[pos:].strip()
    return text[:start], window


def _break_before(text: str, limit: int) -> int:
    window = text[:limit]
    for sep in ("\n\n", "\n", " "):
        pos = window.rfind(sep)
        if pos >= limit // 2:
            return pos
    return limit
