"""Intent examples of Rasa 3.1 YAML files: training data and test sets share the format."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu.vocabulary import nlu_files, read_nlu_items, split_examples

# Rasa's inline annotations: [text](entity), [text](entity:value) and [text]{"entity": ...}.
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\](?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)|\{(?P<json>[^}]+?)\})"
)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    # (entity, value, start, end) on ``text``.
    entities: tuple[tuple[str, str, int, int], ...] = field(default_factory=tuple)


def parse_annotated(line: str) -> tuple[str, tuple[tuple[str, str, int, int], ...]]:
    """Plain text and entities of one annotated example line."""
    out: list[str] = []
    entities: list[tuple[str, str, int, int]] = []
    position = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[position : match.start()]
        out.append(before)
        length += len(before)
        surface = match.group("text")
        if match.group("json"):
            spec = json.loads("{" + match.group("json") + "}")
            entity, value = str(spec.get("entity", "")), str(spec.get("value", surface))
        else:
            entity, value = match.group("entity").strip(), (match.group("value") or surface).strip()
        entities.append((entity, value, length, length + len(surface)))
        out.append(surface)
        length += len(surface)
        position = match.end()
    out.append(line[position:])
    return "".join(out), tuple(entities)


def load_examples(path: Path) -> list[Example]:
    """Intent examples of one Rasa YAML file, or of every YAML file of a directory."""
    path = Path(path)
    files = nlu_files(path) if path.is_dir() else [path]
    examples: list[Example] = []
    for file in files:
        for item in read_nlu_items(file):
            if not isinstance(item, dict) or "intent" not in item:
                continue
            intent = str(item["intent"])
            for line in split_examples(item.get("examples")):
                text, entities = parse_annotated(line)
                examples.append(Example(text=text, intent=intent, entities=entities))
    return examples
