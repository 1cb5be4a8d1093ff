"""Rasa button payloads: '/intent' or '/intent{"entity": "value", ...}'."""
from __future__ import annotations

import json
import re

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z0-9_\-]+)(?P<entities>\{.*\})?\s*$", re.S)


def parse_payload(text: str) -> tuple[str, list[dict]] | None:
    """(intent, Rasa entities) of a payload, or None when ``text`` is not one."""
    match = _PAYLOAD.match(text.strip())
    if match is None:
        return None
    entities: list[dict] = []
    raw = match.group("entities")
    if raw:
        try:
            spec = json.loads(raw)
        except ValueError:
            spec = {}
        if isinstance(spec, dict):
            offset = text.find(raw)
            for name, value in spec.items():
                values = value if isinstance(value, list) else [value]
                for item in values:
                    if isinstance(item, (str, int, float, bool)):
                        entities.append(
                            {
                                "entity": str(name),
                                "start": offset,
                                "end": offset + len(raw),
                                "value": item,
                                "extractor": "payload",
                            }
                        )
    return match.group("intent"), entities
