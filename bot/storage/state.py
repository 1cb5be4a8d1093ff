"""Conversation state per person, in the database only.

There is no Redis copy: with two processes, the next message of a person can be leased the
moment the previous turn commits, before a copy written after that commit would land, and a
process killed between the two would leave an older copy to be read for hours. One indexed
read in the turn's own transaction is both cheaper and always right."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import Integer, bindparam, delete, select

from bot.storage.base import UtcDateTime, utcnow
from bot.storage.database import Database
from bot.storage.models import ConversationState
from bot.storage.unit_of_work import memo


def _check_serialisable(data: dict[str, Any]) -> str:
    if not isinstance(data, dict):
        raise TypeError("conversation state must be a dict")
    try:
        return json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"conversation state is not JSON-serialisable: {exc}") from exc


class ConversationStateStore(ABC):
    @abstractmethod
    def load(self, person_id: int) -> dict[str, Any]:
        """The saved state, or {} for a new conversation."""

    @abstractmethod
    def save(self, person_id: int, data: dict[str, Any]) -> None: ...

    @abstractmethod
    def delete(self, person_id: int) -> None: ...


class SqlConversationStateStore(ConversationStateStore):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = _state_upsert(db.insert)

    def load(self, person_id: int) -> dict[str, Any]:
        remembered = memo(self._db)
        if remembered is not None and (key := _memo_key(person_id)) in remembered:
            data = remembered.pop(key)  # read with the person (see ``remember_state``), used once
        else:
            with self._db.connection() as connection:
                data = connection.execute(_LOAD, {"person_id": person_id}).scalar()
        return dict(data) if data else {}

    def save(self, person_id: int, data: dict[str, Any]) -> None:
        forget_state(self._db, person_id)
        # Round-trip through JSON so the stored value never aliases the caller's dict.
        stored = json.loads(_check_serialisable(data))
        # One statement instead of a SELECT then an INSERT or UPDATE, every turn.
        with self._db.connection() as connection:
            connection.execute(self._upsert, dict(person_id=person_id, data=stored, at=utcnow()))

    def version(self, person_id: int) -> int:
        """How many times the state was saved (0: never)."""
        with self._db.session() as session:
            row = session.get(ConversationState, person_id)
            return row.version if row is not None else 0

    def delete(self, person_id: int) -> None:
        forget_state(self._db, person_id)
        with self._db.session() as session:
            session.execute(delete(ConversationState).where(ConversationState.person_id == person_id))


def remember_state(db: Database, person_id: int, data: dict[str, Any] | None) -> None:
    """The state as read by a query that fetched it along with the person (one statement
    instead of two per turn): the next ``load`` in this unit of work takes it from here."""
    remembered = memo(db)
    if remembered is not None:
        remembered[_memo_key(person_id)] = data


def forget_state(db: Database, person_id: int) -> None:
    remembered = memo(db)
    if remembered is not None:
        remembered.pop(_memo_key(person_id), None)


def _memo_key(person_id: int) -> tuple[str, int]:
    return ("state", person_id)


_LOAD = select(ConversationState.__table__.c.data).where(
    ConversationState.__table__.c.person_id == bindparam("person_id")
)


def _state_upsert(insert: Any) -> Any:
    """Save a person's state whether or not they have one yet (built once: every turn runs it)."""
    t = ConversationState.__table__
    statement = insert(t).values(
        person_id=bindparam("person_id", type_=Integer()), data=bindparam("data", type_=t.c.data.type), version=1,
        updated_at=bindparam("at", type_=UtcDateTime()),
    )
    return statement.on_conflict_do_update(
        index_elements=[t.c.person_id],
        set_={"data": statement.excluded.data, "version": t.c.version + 1, "updated_at": statement.excluded.updated_at},
    )
