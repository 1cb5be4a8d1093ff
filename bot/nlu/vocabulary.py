"""Synonyms, lookup tables and regexes read from the Rasa 3.1 YAML files of nlu_data/."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml

from bot.nlu.text import normalize


def nlu_files(nlu_data_dir: Path) -> list[Path]:
    """The YAML files that make up the training data, in a stable order."""
    directory = Path(nlu_data_dir)
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def read_nlu_items(path: Path) -> list[dict[str, Any]]:
    """The ``nlu:`` items of one Rasa YAML file (empty when it has none)."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path.name}: not a Rasa training data file")
    items = document.get("nlu") or []
    if not isinstance(items, list):
        raise ValueError(f"{path.name}: 'nlu' must be a list")
    return items


def split_examples(block: Any) -> list[str]:
    """Rasa's ``examples: |`` block -> the example strings without their leading '- '."""
    if isinstance(block, list):  # the less common list-of-dicts form
        return [str(item.get("text", "")).strip() if isinstance(item, dict) else str(item) for item in block]
    result = []
    for line in str(block or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:].strip()
        elif line == "-":
            continue
        if line:
            result.append(line)
    return result


def _items_of_kind(nlu_data_dir: Path, kind: str) -> Iterator[tuple[str, list[str]]]:
    for path in nlu_files(nlu_data_dir):
        for item in read_nlu_items(path):
            if isinstance(item, dict) and kind in item:
                yield str(item[kind]), split_examples(item.get("examples"))


def load_synonyms(nlu_data_dir: Path) -> dict[str, str]:
    """Normalised surface form -> canonical value, from every ``- synonym:`` entry.

    The canonical value also maps to itself so that a filière code typed as is
    ("solaire") resolves like its synonyms.
    """
    mapping: dict[str, str] = {}
    for canonical, examples in _items_of_kind(nlu_data_dir, "synonym"):
        for surface in [canonical.replace("_", " "), *examples]:
            key = normalize(surface)
            if key:
                mapping.setdefault(key, canonical)
    return mapping


def load_lookups(nlu_data_dir: Path) -> dict[str, list[str]]:
    """Lookup table name -> its values as written (``- lookup:`` entries)."""
    tables: dict[str, list[str]] = {}
    for name, examples in _items_of_kind(nlu_data_dir, "lookup"):
        tables.setdefault(name, []).extend(examples)
    return tables


def load_regexes(nlu_data_dir: Path) -> dict[str, list[str]]:
    """Regex name -> patterns (``- regex:`` entries)."""
    patterns: dict[str, list[str]] = {}
    for name, examples in _items_of_kind(nlu_data_dir, "regex"):
        patterns.setdefault(name, []).extend(examples)
    return patterns
