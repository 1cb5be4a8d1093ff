"""Who wants open-day announcements, and for which area and trade."""
from __future__ import annotations

from sqlalchemy import delete, or_, select

from bot.storage.base import as_utc, utcnow
from bot.storage.database import Database
from bot.storage.models import Person, Subscription
from bot.storage.persons import to_record as person_record
from bot.storage.records import InvalidValue, PersonRecord, SubscriptionRecord


def to_record(sub: Subscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        person_id=sub.person_id,
        territoire=sub.territoire,
        bassin=sub.bassin,
        filiere=sub.filiere,
        created_at=as_utc(sub.created_at),  # type: ignore[arg-type]
        updated_at=as_utc(sub.updated_at),  # type: ignore[arg-type]
    )


class SubscriptionRepository:
    """One subscription per person. ``bassin``/``filiere`` = None means "any"."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def subscribe(
        self,
        person_id: int,
        territoire: str,
        bassin: str | None = None,
        filiere: str | None = None,
    ) -> SubscriptionRecord:
        if not territoire:
            raise InvalidValue("territoire is required")
        with self._db.session() as session:
            if session.get(Person, person_id) is None:
                raise InvalidValue(f"unknown person {person_id}")
            sub = session.get(Subscription, person_id)
            now = utcnow()
            if sub is None:
                sub = Subscription(person_id=person_id, created_at=now)
                session.add(sub)
            sub.territoire = territoire
            sub.bassin = bassin
            sub.filiere = filiere
            sub.updated_at = now
            session.flush()
            return to_record(sub)

    def narrow(
        self, person_id: int, bassin: str | None = None, filiere: str | None = None
    ) -> SubscriptionRecord | None:
        """Restrict an existing subscription; None leaves a field unchanged.
        Returns None when the person is not subscribed."""
        with self._db.session() as session:
            sub = session.get(Subscription, person_id)
            if sub is None:
                return None
            if bassin is not None:
                sub.bassin = bassin
            if filiere is not None:
                sub.filiere = filiere
            sub.updated_at = utcnow()
            session.flush()
            return to_record(sub)

    def unsubscribe(self, person_id: int) -> bool:
        with self._db.session() as session:
            result = session.execute(delete(Subscription).where(Subscription.person_id == person_id))
            return result.rowcount > 0

    def get(self, person_id: int) -> SubscriptionRecord | None:
        with self._db.session() as session:
            sub = session.get(Subscription, person_id)
            return to_record(sub) if sub else None

    def recipients(
        self,
        territoire: str | None = None,
        bassin: str | None = None,
        filiere: str | None = None,
    ) -> list[PersonRecord]:
        """Active subscribers an announcement for this area/trade concerns.

        A criterion left None is not filtered on; a subscription with no bassin
        (or filière) accepts any.
        """
        query = (
            select(Person)
            .join(Subscription, Subscription.person_id == Person.id)
            .where(Person.status == "active")
            .order_by(Person.id)
        )
        if territoire is not None:
            query = query.where(Subscription.territoire == territoire)
        if bassin is not None:
            query = query.where(or_(Subscription.bassin.is_(None), Subscription.bassin == bassin))
        if filiere is not None:
            query = query.where(or_(Subscription.filiere.is_(None), Subscription.filiere == filiere))
        with self._db.session() as session:
            return [person_record(p, self._db.identity) for p in session.scalars(query)]
