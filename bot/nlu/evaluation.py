"""Intent accuracy, F1 scores, confusions and k-fold cross-validation."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

from bot.nlu.dataset import Example, load_examples


class _Parser(Protocol):
    def parse(self, text: str) -> dict: ...


@dataclass
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class EvaluationReport:
    total: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_intent: list[IntentScore]
    # (expected, predicted) -> count, mistakes only.
    confusions: dict[tuple[str, str], int] = field(default_factory=dict)
    # (text, expected, predicted, confidence) for each mistake.
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)

    def as_text(self) -> str:
        lines = [
            f"messages: {self.total}",
            f"accuracy: {self.accuracy:.3f}",
            f"macro-F1: {self.macro_f1:.3f}",
            f"weighted-F1: {self.weighted_f1:.3f}",
            "",
            f"{'intent':<22} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}",
        ]
        for s in self.per_intent:
            lines.append(f"{s.intent:<22} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>4}")
        if self.confusions:
            lines += ["", "confusions (expected -> predicted: count):"]
            for (expected, predicted), count in sorted(self.confusions.items(), key=lambda kv: -kv[1]):
                lines.append(f"  {expected} -> {predicted}: {count}")
        return "\n".join(lines)


def score(expected: Sequence[str], predicted: Sequence[str]) -> EvaluationReport:
    """Scores of predicted intents against expected ones."""
    total = len(expected)
    labels = sorted(set(expected) | set(predicted))
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    for gold, guess in zip(expected, predicted):
        if gold == guess:
            tp[gold] += 1
        else:
            fp[guess] += 1
            fn[gold] += 1
            confusions[(gold, guess)] += 1
    support = Counter(expected)
    per_intent = []
    for label in labels:
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent.append(IntentScore(label, precision, recall, f1, support[label]))
    gold_labels = [s for s in per_intent if s.support > 0]
    macro = sum(s.f1 for s in gold_labels) / len(gold_labels) if gold_labels else 0.0
    weighted = sum(s.f1 * s.support for s in gold_labels) / total if total else 0.0
    accuracy = sum(tp.values()) / total if total else 0.0
    return EvaluationReport(total, accuracy, macro, weighted, per_intent, dict(confusions))


def evaluate(engine: _Parser, examples: Sequence[Example]) -> EvaluationReport:
    """Parse every example and score the intents."""
    predicted, errors = [], []
    for example in examples:
        result = engine.parse(example.text)
        name = result["intent"]["name"]
        predicted.append(name)
        if name != example.intent:
            errors.append((example.text, example.intent, name, float(result["intent"]["confidence"])))
    report = score([e.intent for e in examples], predicted)
    report.errors = errors
    return report


def evaluate_file(engine: _Parser, path: Path) -> EvaluationReport:
    return evaluate(engine, load_examples(path))


def stratified_folds(examples: Sequence[Example], folds: int, seed: int = 13) -> list[list[int]]:
    """Indices of each fold, every intent spread evenly over the folds."""
    by_intent: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_intent.setdefault(example.intent, []).append(index)
    rng = random.Random(seed)
    result: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            result[(position + offset) % folds].append(index)
        offset += len(indices)
    return result


def cross_validate(
    train: Callable[[Sequence[Example]], _Parser],
    examples: Sequence[Example],
    folds: int = 5,
    seed: int = 13,
) -> EvaluationReport:
    """k-fold cross-validation; ``train`` builds a parser from the training part of a fold."""
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    expected: list[str] = []
    predicted: list[str] = []
    errors: list[tuple[str, str, str, float]] = []
    for test_indices in stratified_folds(examples, folds, seed):
        held = set(test_indices)
        engine = train([e for i, e in enumerate(examples) if i not in held])
        for index in test_indices:
            example = examples[index]
            result = engine.parse(example.text)
            name = result["intent"]["name"]
            expected.append(example.intent)
            predicted.append(name)
            if name != example.intent:
                errors.append((example.text, example.intent, name, float(result["intent"]["confidence"])))
    report = score(expected, predicted)
    report.errors = errors
    return report
