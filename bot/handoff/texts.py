"""Every sentence the hand-off shows, from ``content/handoff.yml``.

Young people and referents read French, short and plain; coordinators change the
wording in content, not here. The file is checked whole when it is loaded (at start-up):
a missing or empty text, or a placeholder the code does not fill, is a ContentError
naming the file and the key, never a crash in the middle of a conversation.
"""
from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.core.errors import ContentError
from bot.core.texts import read_yaml

FILE_NAME = "handoff.yml"
CHANNELS = ("telegram", "whatsapp", "cli", "rasa")
# Every kind the relay can describe (bot.core.messages.MessageKind, text and buttons aside).
MEDIA_KINDS = ("image", "voice", "video", "document", "sticker", "location", "contact", "other")
RATINGS = 5  # the rating buttons, 1 to 5 (bot.handoff.gate.parse_rating)

_FORMATTER = string.Formatter()


def _text(*fills: str) -> Any:
    """A text field; ``fills``: the placeholders the code fills in it (none: shown as written)."""
    return field(metadata={"fills": frozenset(fills)})


# The notice of a new request and a line of the queue name the same things.
_NOTICE = ("id", "bassin", "who", "channel", "minutes", "summary")


@dataclass(frozen=True)
class HandoffTexts:
    """Attributes are the keys of ``content/handoff.yml``."""

    channel_names: Mapping[str, str] = field(metadata={"keys": CHANNELS})

    # To the young person
    taken: str = _text("name")
    cancelled: str = _text()
    outside_hours: str = _text("when")
    nobody: str = _text("contact")
    nobody_no_contact: str = _text()
    transferred: str = _text()
    finished: str = _text("name")
    referent_says: str = _text("name", "text")
    rated: str = _text()
    rated_already: str = _text()
    rating_titles: tuple[str, ...] = field(metadata={"count": RATINGS})
    media_from_referent: str = _text("name")
    media_kept: str = _text()
    closed_by_staff: str = _text()

    # To referents
    notice: str = _text(*_NOTICE)
    notice_again: str = _text(*_NOTICE)
    take_button: str = _text("id")
    notice_taken: str = _text("id", "bassin", "name")
    notice_yours: str = _text("id", "bassin", "name")
    notice_cancelled: str = _text("id", "bassin")
    notice_closed: str = _text("id", "bassin")
    unknown_bassin: str = _text()
    claimed: str = _text("who", "bassin", "channel", "id", "summary", "name")
    too_late: str = _text("id", "by")
    too_late_by: str = _text("name")
    not_waiting: str = _text("id")
    unknown_ticket: str = _text("id")
    busy: str = _text("id")
    nothing_to_take: str = _text()
    bad_number: str = _text()
    queue_empty: str = _text()
    queue_head: str = _text("count")
    queue_line: str = _text("id", "bassin", "who", "minutes", "summary")
    person_says: str = _text("who", "text")
    media_caption: str = _text("who", "id", "what")
    only_text: str = _text()
    no_conversation: str = _text()
    finished_referent: str = _text("id")
    transferred_referent: str = _text("id")
    wrong_ticket: str = _text("id", "asked")
    person_left: str = _text("who", "id")
    person_stopped: str = _text("who", "id")
    person_erased: str = _text("who", "id")
    closed_by_staff_referent: str = _text("id")
    relay_failed_window: str = _text("who")
    relay_failed_unreachable: str = _text("who")
    relay_failed: str = _text("who")
    present: str = _text()
    absent: str = _text()
    unknown_command: str = _text()
    help: str = _text()

    # The young person and what they sent, as referents read them
    young_person_numbered: str = _text("id")
    young_person: str = _text()
    empty_message: str = _text()
    button_pressed: str = _text("text")
    media: Mapping[str, str] = field(metadata={"keys": MEDIA_KINDS})

    @classmethod
    def load(cls, content_dir: Path) -> HandoffTexts:
        data = read_yaml(Path(content_dir) / FILE_NAME)
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data:
                raise _error(spec.name, "manque")
            value = data[spec.name]
            if "keys" in spec.metadata:
                values[spec.name] = _mapping(spec.name, value, spec.metadata["keys"])
            elif "count" in spec.metadata:
                values[spec.name] = _titles(spec.name, value, spec.metadata["count"])
            else:
                values[spec.name] = _template(spec.name, value, spec.metadata["fills"])
        return cls(**values)


def _error(key: str, reason: str) -> ContentError:
    return ContentError(FILE_NAME, None, f"le texte « {key} » {reason}")


def _string(key: str, value: Any) -> str:
    if value is None or value == "":
        raise _error(key, "est vide")
    if not isinstance(value, str):
        raise _error(key, "doit être une phrase (entre guillemets), pas une liste ni un nombre")
    return value


def _template(key: str, value: Any, fills: frozenset[str]) -> str:
    text = _string(key, value)
    try:
        used = {name for _, name, _, _ in _FORMATTER.parse(text) if name is not None}
    except ValueError:
        raise _error(key, "a une accolade { ou } seule : chaque {nom} doit être fermé") from None
    unknown = sorted(used - fills)
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in sorted(fills)) or "aucun"
        shown = ", ".join(f"{{{name}}}" for name in unknown)
        raise _error(key, f"contient {shown}, que le bot ne remplit pas (possibles : {allowed})")
    return text


def _mapping(key: str, value: Any, keys: tuple[str, ...]) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise _error(key, f"doit contenir une ligne par nom ({', '.join(keys)})")
    for name in keys:
        if name not in value:
            raise _error(f"{key}.{name}", "manque")
    return MappingProxyType({str(name): _string(f"{key}.{name}", text) for name, text in value.items()})


def _titles(key: str, value: Any, count: int) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) != count:
        raise _error(key, f"doit être une liste de {count} boutons (de la note 1 à la note {count})")
    return tuple(_string(f"{key} n°{number}", title) for number, title in enumerate(value, start=1))
