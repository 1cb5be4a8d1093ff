"""Per-turn facts (no message text) and the weekly figures the console draws from them."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select

from bot.core.ports import TurnFacts
from bot.storage.base import utcnow
from bot.storage.console_tables import TurnFact
from bot.storage.database import Database
from bot.storage.models import Person

log = logging.getLogger(__name__)


def week_bucket(column, starts: Sequence[datetime]):
    """Index of the week (0 = oldest) a timestamp falls in; ``starts`` ascending, last = end bound."""
    return case(*[(column >= starts[i], i) for i in range(len(starts) - 2, -1, -1)], else_=-1)


class TurnFactRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record_turn(self, facts: TurnFacts) -> None:
        # Figures must never cost a young person their answer: failures are logged, not raised.
        try:
            with self._db.session() as session:
                session.add(TurnFact(
                    at=utcnow(), person_id=facts.person_id, channel=facts.channel[:16],
                    territoire=(facts.territoire or None), bassin=(facts.bassin or None),
                    intent=(facts.intent or "?")[:64], filiere=(facts.filiere or None), answered=facts.answered,
                ))
        except Exception as exc:  # noqa: BLE001
            log.warning("turn facts not recorded (%s)", type(exc).__name__)

    def _scoped(self, query, territoire: str | None):
        return query.where(TurnFact.territoire == territoire) if territoire else query

    def totals(self, start: datetime, end: datetime, territoire: str | None) -> tuple[int, int, int]:
        """(questions, people who wrote, unanswered questions) between start and end."""
        query = select(
            func.count(), func.count(func.distinct(TurnFact.person_id)),
            func.coalesce(func.sum(case((TurnFact.answered.is_(False), 1), else_=0)), 0),
        ).where(TurnFact.at >= start, TurnFact.at < end)
        with self._db.session() as session:
            total, people, unanswered = session.execute(self._scoped(query, territoire)).one()
            return int(total), int(people), int(unanswered)

    def top_filieres(self, start: datetime, end: datetime, territoire: str | None, limit: int = 5) -> list[tuple[str, int]]:
        query = (
            select(TurnFact.filiere, func.count()).where(
                TurnFact.at >= start, TurnFact.at < end, TurnFact.filiere.is_not(None)
            ).group_by(TurnFact.filiere).order_by(func.count().desc(), TurnFact.filiere).limit(limit)
        )
        with self._db.session() as session:
            return [(f, int(n)) for f, n in session.execute(self._scoped(query, territoire))]

    def weekly(self, starts: Sequence[datetime], by: str, territoire: str | None) -> dict[str, list[int]]:
        """Questions per week, split by "filiere" or "bassin": {value: [count per week]}."""
        column = TurnFact.filiere if by == "filiere" else TurnFact.bassin
        bucket = week_bucket(TurnFact.at, starts)
        query = (
            select(bucket, column, func.count())
            .where(TurnFact.at >= starts[0], TurnFact.at < starts[-1])
            .group_by(bucket, column)
        )
        weeks = len(starts) - 1
        series: dict[str, list[int]] = {}
        with self._db.session() as session:
            for index, value, count in session.execute(self._scoped(query, territoire)):
                if 0 <= index < weeks:
                    series.setdefault(value or "(aucun)", [0] * weeks)[index] += int(count)
        return series

    def new_people(self, start: datetime, end: datetime, territoire: str | None) -> list[tuple[str, str, str, int]]:
        """New people between start and end: (territoire, bassin, channel, count)."""
        query = (
            select(Person.territoire, Person.bassin, Person.channel, func.count())
            .where(Person.created_at >= start, Person.created_at < end)
            .group_by(Person.territoire, Person.bassin, Person.channel)
            .order_by(func.count().desc())
        )
        if territoire:
            query = query.where(Person.territoire == territoire)
        with self._db.session() as session:
            return [(t or "(inconnu)", b or "(inconnu)", c, int(n)) for t, b, c, n in session.execute(query)]
