"""Button payloads in Rasa's own syntax, so a Rasa server understands them too."""
from __future__ import annotations

import json


def intent_payload(intent: str, **entities: str) -> str:
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
