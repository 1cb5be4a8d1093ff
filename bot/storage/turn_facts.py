"""Per-turn facts (no message text) and the weekly figures the console draws from them."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from sqlalchemy import case, func, insert, select

from bot.core.ports import TurnFacts
from bot.storage.base import utcnow
from bot.storage.console_tables import TurnFact
from bot.storage.database import Database
from bot.storage.models import Person

log = logging.getLogger(__name__)

FIRST_MONDAY = date(1970, 1, 5)


def week_number(moment: datetime) -> int:
    """Monday-based UTC week index; consecutive weeks have consecutive numbers."""
    return (moment.astimezone(timezone.utc).date() - FIRST_MONDAY).days // 7


# Written on every turn: a plain INSERT built once, not an ORM object and a flush.
_INSERT = insert(TurnFact.__table__)


class TurnFactRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record_turn(self, facts: TurnFacts, at: datetime | None = None) -> None:
        """``at``: when the turn happened (now by default; set when importing history)."""
        # Figures must never cost a young person their answer: failures are logged, not raised.
        try:
            now = at or utcnow()
            with self._db.connection() as connection:
                connection.execute(_INSERT, dict(
                    at=now, week=week_number(now), person_id=facts.person_id, channel=facts.channel[:16],
                    territoire=(facts.territoire or None), bassin=(facts.bassin or None),
                    intent=(facts.intent or "?")[:64], filiere=(facts.filiere or None), answered=facts.answered,
                ))
        except Exception as exc:  # noqa: BLE001
            log.warning("turn facts not recorded (%s)", type(exc).__name__)

    @staticmethod
    def _scoped(query, territoire: str | None):
        return query.where(TurnFact.territoire == territoire) if territoire else query

    def totals(self, week: int, territoire: str | None) -> tuple[int, int, int]:
        """(questions, people who wrote, unanswered questions) in that week."""
        query = select(
            func.count(), func.count(func.distinct(TurnFact.person_id)),
            func.coalesce(func.sum(case((TurnFact.answered.is_(False), 1), else_=0)), 0),
        ).where(TurnFact.week == week)
        with self._db.session() as session:
            total, people, unanswered = session.execute(self._scoped(query, territoire)).one()
            return int(total), int(people), int(unanswered)

    def top_filieres(self, week: int, territoire: str | None, limit: int = 5) -> list[tuple[str, int]]:
        query = (
            select(TurnFact.filiere, func.count())
            .where(TurnFact.week == week, TurnFact.filiere.is_not(None))
            .group_by(TurnFact.filiere).order_by(func.count().desc(), TurnFact.filiere).limit(limit)
        )
        with self._db.session() as session:
            return [(f, int(n)) for f, n in session.execute(self._scoped(query, territoire))]

    def weekly(self, first_week: int, weeks: int, territoire: str | None) -> dict[str, dict[str, list[int]]]:
        """Questions per week from ``first_week``, split both ways in one pass over the index:
        {"filiere": {code: [count per week]}, "bassin": {name: [count per week]}}."""
        query = (
            select(TurnFact.week, TurnFact.filiere, TurnFact.bassin, func.count())
            .where(TurnFact.week >= first_week, TurnFact.week < first_week + weeks)
            .group_by(TurnFact.week, TurnFact.filiere, TurnFact.bassin)
        )
        split: dict[str, dict[str, list[int]]] = {"filiere": {}, "bassin": {}}
        with self._db.session() as session:
            for week, filiere, bassin, count in session.execute(self._scoped(query, territoire)):
                for by, value in (("filiere", filiere), ("bassin", bassin)):
                    split[by].setdefault(value or "(aucun)", [0] * weeks)[week - first_week] += int(count)
        return split

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
