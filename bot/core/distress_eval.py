"""Precision and recall of the distress check on a labelled set (`terrapro safety eval`).

The set is YAML: ``detresse`` (messages that must trigger, each with its expected family)
and ``ordinaire`` (messages that must not). Messages are never logged; the report prints
the misses so whoever edits ``content/safety.yml`` sees what to fix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.distress import DistressCheck
from bot.core.errors import ContentError
from bot.core.texts import read_yaml


@dataclass
class DistressFigures:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0
    right_family: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    wrong_family: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def load_set(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    data = read_yaml(path)
    distress = [(str(item["text"]), str(item.get("famille") or "")) for item in data.get("detresse") or []]
    ordinary = [str(item) for item in data.get("ordinaire") or []]
    if not distress or not ordinary:
        raise ContentError(path.name, None, "il faut des messages « detresse » et « ordinaire »")
    return distress, ordinary


def evaluate(check: DistressCheck, path: Path) -> DistressFigures:
    distress, ordinary = load_set(path)
    figures = DistressFigures()
    for text, family in distress:
        found = check.detect(text)
        if found is None:
            figures.false_negatives += 1
            figures.missed.append(text)
            continue
        figures.true_positives += 1
        if not family or found.family == family:
            figures.right_family += 1
        else:
            figures.wrong_family.append(f"{text}  (attendu {family}, trouvé {found.family})")
    for text in ordinary:
        if check.detect(text) is None:
            figures.true_negatives += 1
        else:
            figures.false_positives += 1
            figures.false_alarms.append(text)
    return figures


def render(figures: DistressFigures) -> str:
    lines = [
        f"Messages de détresse : {figures.true_positives + figures.false_negatives} · "
        f"ordinaires : {figures.true_negatives + figures.false_positives}",
        f"Précision : {figures.precision:.3f} ({figures.true_positives}/{figures.true_positives + figures.false_positives})",
        f"Rappel    : {figures.recall:.3f} ({figures.true_positives}/{figures.true_positives + figures.false_negatives})",
        f"Bonne famille : {figures.right_family}/{figures.true_positives}",
    ]
    for title, items in (("Manqués", figures.missed), ("Fausses alertes", figures.false_alarms),
                         ("Autre famille", figures.wrong_family)):
        if items:
            lines.append(f"{title} :")
            lines += [f"  - {item}" for item in items]
    return "\n".join(lines)
