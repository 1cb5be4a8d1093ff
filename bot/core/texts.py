"""Reply texts from ``content/texts.yml`` and ``content/guidance.yml``.

Texts live in content so coordinators can change wording without touching code.
A missing Wolof line falls back to French; a missing key is a bug (a test checks
that every key the code asks for exists).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import ContentError


@dataclass(frozen=True)
class Texts:
    entries: dict[str, dict[str, str]]
    guidance: dict[str, Any]
    profile_words: dict[str, Any] = field(default_factory=dict)  # content/profile.yml

    @classmethod
    def load(cls, content_dir: Path) -> Texts:
        entries = read_yaml(content_dir / "texts.yml")
        guidance = read_yaml(content_dir / "guidance.yml")
        for key, value in entries.items():
            if not isinstance(value, dict) or "fr" not in value:
                raise ContentError("texts.yml", None, f"le texte « {key} » n'a pas de version française")
        profile_file = content_dir / "profile.yml"
        profile_words = read_yaml(profile_file) if profile_file.exists() else {}
        return cls(entries=entries, guidance=guidance, profile_words=profile_words)

    def get(self, key: str, language: str = "fr", *, for_territory: str | None = None, **values: Any) -> str:
        """``for_territory``: a text may have a version for one territory (``fr@savoie``),
        so its examples name places the young person knows; else the plain one."""
        try:
            variants = self.entries[key]
        except KeyError as exc:
            raise KeyError(f"no text named {key!r} in content/texts.yml") from exc
        template = (
            (for_territory and variants.get(f"{language}@{for_territory}"))
            or variants.get(language)
            or (for_territory and variants.get(f"fr@{for_territory}"))
            or variants["fr"]
        )
        return template.format(**values) if values else template


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(path.name, None, f"fichier illisible ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise ContentError(path.name, None, "le fichier doit contenir des entrées « clé: texte »")
    return data
