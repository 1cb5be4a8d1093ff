"""Unanswered questions grouped by similarity (rapidfuzz), biggest group first."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.nlu.text import normalize
from bot.storage.console_views import QuestionRow

SIMILARITY = 82  # token_set_ratio at or above this: the same question


@dataclass
class QuestionGroup:
    text: str  # the first (most recent) wording
    questions: list[QuestionRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def treated(self) -> bool:
        return all(q.treated for q in self.questions)

    @property
    def ids(self) -> list[int]:
        return [q.id for q in self.questions]

    @property
    def key(self) -> int:
        """Stable enough for a form: the oldest question's id."""
        return min(self.ids)


def group_questions(rows: Sequence[QuestionRow], threshold: int = SIMILARITY) -> list[QuestionGroup]:
    groups: list[QuestionGroup] = []
    keys: list[str] = []
    for row in rows:
        key = normalize(row.text)
        match = process.extractOne(key, keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold) if keys else None
        if match is None:
            groups.append(QuestionGroup(row.text, [row]))
            keys.append(key)
        else:
            groups[match[2]].questions.append(row)
    groups.sort(key=lambda g: (g.treated, -g.count, -max(g.ids)))
    return groups


def groups_csv_rows(groups: Sequence[QuestionGroup]) -> list[list[object]]:
    return [
        [g.text, g.count, "oui" if g.treated else "non", g.questions[0].intent,
         max(q.created_at for q in g.questions).strftime("%Y-%m-%d %H:%M")]
        for g in groups
    ]


GROUPS_CSV_HEADER = ("question", "nombre", "traité", "intention", "dernière fois")
