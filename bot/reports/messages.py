"""The console's and the coordinators' French sentences (content/console/messages.yml)."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.errors import ContentError

FILE = Path("console") / "messages.yml"


def load_messages(content_dir: Path) -> dict:
    path = Path(content_dir) / FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(str(FILE), None, f"fichier illisible ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or not all(_texts(v) for v in data.values()):
        raise ContentError(str(FILE), None, "le fichier doit contenir des entrées « clé: texte »")
    return data


def _texts(value) -> bool:
    """A text, or one level of named texts (e.g. the audit log's labels)."""
    return isinstance(value, str) or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values()))
