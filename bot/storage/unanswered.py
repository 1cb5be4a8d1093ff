"""Questions the bot could not answer, kept (scrubbed) to improve the NLU."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from bot.storage.base import as_utc, utcnow
from bot.storage.database import Database
from bot.storage.models import UnansweredQuestion
from bot.storage.privacy import scrub
from bot.storage.records import UnansweredRecord

MAX_TEXT = 500


def to_record(row: UnansweredQuestion) -> UnansweredRecord:
    return UnansweredRecord(
        id=row.id,
        person_id=row.person_id,
        text=row.text,
        intent=row.intent,
        confidence=row.confidence,
        language=row.language,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
    )


# Written on most turns: a plain INSERT built once, not an ORM object and a flush.
_INSERT = insert(UnansweredQuestion.__table__).returning(UnansweredQuestion.__table__.c.id)


class UnansweredRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self, person_id: int, text: str, intent: str, confidence: float, language: str
    ) -> UnansweredRecord:
        # Scrub before truncating so a number cut in half cannot slip through.
        cleaned = scrub(text).replace("\x00", "")[:MAX_TEXT]
        confidence = min(max(float(confidence), 0.0), 1.0)
        values = dict(
            person_id=person_id, text=cleaned, intent=(intent or "")[:64], confidence=confidence,
            language=(language or "fr")[:2], created_at=utcnow(),
        )
        with self._db.connection() as connection:
            new_id = connection.execute(_INSERT, values).scalar_one()
        return UnansweredRecord(id=new_id, **values)

    def recent(self, limit: int = 100) -> list[UnansweredRecord]:
        with self._db.session() as session:
            rows = session.scalars(
                select(UnansweredQuestion)
                .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
                .limit(max(0, limit))
            )
            return [to_record(r) for r in rows]

    def count_for(self, person_id: int) -> int:
        with self._db.session() as session:
            return int(session.scalar(
                select(func.count()).select_from(UnansweredQuestion).where(UnansweredQuestion.person_id == person_id)
            ) or 0)

    def count_by_intent(self) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(
                select(UnansweredQuestion.intent, func.count())
                .group_by(UnansweredQuestion.intent)
                .order_by(func.count().desc(), UnansweredQuestion.intent)
            )
            return {intent: int(count) for intent, count in rows}
