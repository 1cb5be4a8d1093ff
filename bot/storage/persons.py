"""Who the bot talks to: one row per (channel, platform id), nothing more.

The platform id (a phone number on WhatsApp) is stored only as a keyed hash,
for look-ups, and encrypted, for answering; records carry it in clear, in memory.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, select, update

from bot.storage.base import Base, as_utc
from bot.storage.database import Database
from bot.storage.handoff import remember_no_open_ticket
from bot.storage.identity import IdentityError, IdentityProtector
from bot.storage.models import (
    CHANNELS,
    LANGUAGES,
    OPEN_TICKET_STATUSES,
    PERSON_STATUSES,
    ConversationState,
    HandoffTicket,
    Person,
    Subscription,
    UnansweredQuestion,
)
from bot.storage.queue import InboxItem, OutboxItem, queue_hash
from bot.storage.records import InvalidValue, PersonRecord
from bot.storage.state import ConversationStateStore, forget_state, remember_state
from bot.storage.unit_of_work import memo

log = logging.getLogger(__name__)

MAX_EXTERNAL_ID = 128
MAX_DISPLAY_NAME = 40
_UPDATABLE = frozenset({"language", "territoire", "bassin", "status", "display_name"})
_GET_OR_CREATE_ATTEMPTS = 5


def to_record(person: Person, identity: IdentityProtector) -> PersonRecord:
    return PersonRecord(
        id=person.id,
        channel=person.channel,
        external_id=clear_external_id(identity, person.channel, person.external_id_encrypted),
        display_name=person.display_name,
        language=person.language,
        territoire=person.territoire,
        bassin=person.bassin,
        status=person.status,
        created_at=as_utc(person.created_at),  # type: ignore[arg-type]
        last_inbound_at=as_utc(person.last_inbound_at),
        last_seen_at=as_utc(person.last_seen_at),
    )


def clear_external_id(identity: IdentityProtector, channel: str, sealed: str | None) -> str:
    if not sealed:
        raise IdentityError("person row without an encrypted id")
    return identity.open(channel, sealed)


def clean_display_name(name: str | None) -> str | None:
    """First word only, printable, capped: a referent needs a name to greet,
    not a full identity."""
    if not name:
        return None
    printable = "".join(ch for ch in name if ch.isprintable())
    words = printable.split()
    if not words:
        return None
    return words[0][:MAX_DISPLAY_NAME]


def _check_key(channel: str, external_id: str) -> str:
    if channel not in CHANNELS:
        raise InvalidValue(f"unknown channel: {channel!r}")
    external_id = str(external_id).strip()
    if not external_id or len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidValue("external id must be 1 to 128 characters")
    return external_id


class PersonRepository:
    """Persons, plus the PersonDirectory port the channels use.

    ``state_store``, when given, is also wiped by ``delete_everything``.
    """

    def __init__(self, db: Database, *, state_store: ConversationStateStore | None = None) -> None:
        self._db = db
        self._identity = db.identity
        self._state_store = state_store

    def _record(self, person: Person) -> PersonRecord:
        return to_record(person, self._identity)

    def lookup_hash(self, channel: str, external_id: str) -> str:
        return self._identity.lookup_hash(channel, external_id)

    def get_or_create(
        self, channel: str, external_id: str, display_name: str | None = None, *, seen_at: datetime | None = None
    ) -> PersonRecord:
        """The person, created if new. ``seen_at``: they just wrote to us, at that time; it is
        recorded by the same statement (see ``touch_inbound``)."""
        external_id = _check_key(channel, external_id)
        name = clean_display_name(display_name)
        # Two workers may see a first message at once: the unique constraint
        # decides, the loser reads the winner's row.
        for _ in range(_GET_OR_CREATE_ATTEMPTS):
            found = self.find(channel, external_id) if seen_at is None else self._touch_and_find(
                channel, external_id, seen_at
            )
            if found is not None:
                if name and not found.display_name:
                    # The row may predate the name (created when the message arrived).
                    return self.update(found.id, display_name=name) or found
                return found
            created = self._insert(channel, external_id, name, seen_at)
            if created is not None:
                return created
            log.debug("person %s created concurrently, reading it", self._identity.log_token(external_id))
        raise RuntimeError("could not create or read the person")

    def _insert(self, channel: str, external_id: str, name: str | None, seen_at: datetime | None) -> PersonRecord | None:
        """The new person, or None when another worker created them first (no savepoint, no
        exception: ON CONFLICT DO NOTHING, then the caller reads the winner's row)."""
        key = self.lookup_hash(channel, external_id)
        with self._db.connection() as connection:
            row = connection.execute(self._db.insert(_PERSONS).on_conflict_do_nothing(
                index_elements=[_PERSONS.c.channel, _PERSONS.c.external_id],
            ).returning(*_RECORD_COLUMNS), {
                "channel": channel, "external_id": key, "display_name": name,
                "external_id_encrypted": self._identity.seal(channel, external_id),
                "last_inbound_at": seen_at, "last_seen_at": seen_at,
            }).first()
        if row is None:
            return None
        # Someone new has no conversation yet and no referent.
        remember_state(self._db, row.id, None)
        remember_no_open_ticket(self._db, row.id)
        record = _record_of_row(row, channel, external_id)
        self._remember(key, record)
        return record

    def _touch_and_find(self, channel: str, external_id: str, at: datetime) -> PersonRecord | None:
        """``touch_inbound`` and ``find`` in one statement (UPDATE … RETURNING), what a turn
        does first; None if there is no such person."""
        key = self.lookup_hash(channel, external_id)
        with self._db.connection() as connection:
            row = connection.execute(_TOUCH_RETURNING, {"by_channel": channel, "by_key": key, "at": at}).first()
        return self._found(row, channel, external_id, key)

    def find(self, channel: str, external_id: str) -> PersonRecord | None:
        external_id = str(external_id)
        key = self.lookup_hash(channel, external_id)
        remembered = memo(self._db)
        if remembered is not None and (known := remembered.get(_memo_key(channel, key))) is not None:
            return known  # type: ignore[no-any-return]
        # A Core read (half the CPU of an ORM one); the clear id is the one asked about.
        with self._db.connection() as connection:
            row = connection.execute(_BY_KEY, {"by_channel": channel, "by_key": key}).first()
        return self._found(row, channel, external_id, key)

    def _found(self, row: Any, channel: str, external_id: str, key: str) -> PersonRecord | None:
        if row is None:
            return None
        remember_state(self._db, row.id, row.state)
        if not row.open_ticket:
            remember_no_open_ticket(self._db, row.id)
        record = _record_of_row(row, channel, external_id)
        self._remember(key, record)
        return record

    def get(self, person_id: int) -> PersonRecord | None:
        with self._db.session() as session:
            person = session.get(Person, person_id)
            return self._record(person) if person else None

    def update(self, person_id: int, **fields: Any) -> PersonRecord | None:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update: {', '.join(sorted(unknown))}")
        if "language" in fields and fields["language"] not in LANGUAGES:
            raise InvalidValue(f"unknown language: {fields['language']!r}")
        if "status" in fields and fields["status"] not in PERSON_STATUSES:
            raise InvalidValue(f"unknown status: {fields['status']!r}")
        if "display_name" in fields:
            fields["display_name"] = clean_display_name(fields["display_name"])
        with self._db.connection() as connection:
            row = connection.execute(_update_by_id(frozenset(fields)), {"by_id": person_id, **fields}).first()
        if row is None:
            return None
        clear = clear_external_id(self._identity, row.channel, row.external_id_encrypted)
        record = _record_of_row(row, row.channel, clear)
        self._remember(row.external_id, record)
        return record

    def protect_clear_ids(self) -> int:
        """Rows written before ids were protected (platform id in clear, nothing encrypted):
        encrypt and hash them in place. Idempotent; run at start-up, cheap when none is left."""
        with self._db.session() as session:
            rows = session.scalars(select(Person).where(Person.external_id_encrypted.is_(None))).all()
            for person in rows:
                clear = person.external_id
                person.external_id_encrypted = self._identity.seal(person.channel, clear)
                person.external_id = self.lookup_hash(person.channel, clear)
            return len(rows)

    # PersonDirectory port --------------------------------------------------

    def mark_unreachable(self, channel: str, external_id: str) -> None:
        self._set_by_key(channel, str(external_id), _MARK_UNREACHABLE, {})

    def touch_inbound(self, channel: str, external_id: str, at: datetime, *, create: bool = True) -> None:
        """Record an inbound message; writing to us makes a person reachable again.

        ``create=False``: only if the person exists (after a turn, which may have erased them)."""
        if create:
            self.get_or_create(channel, external_id)
        key = self.lookup_hash(channel, str(external_id))
        remembered = memo(self._db)
        known = remembered.get(_memo_key(channel, key)) if remembered is not None else None
        if known is not None and known.status == "active" and known.last_inbound_at == as_utc(at):
            return  # this unit of work already recorded it (a turn, with its first read)
        # One UPDATE by key: no read first (a person erased meanwhile is simply not found).
        self._set_by_key(channel, str(external_id), _TOUCH, {"at": at})

    def _set_by_key(self, channel: str, external_id: str, statement: Any, values: dict[str, Any]) -> None:
        key = self.lookup_hash(channel, external_id)
        with self._db.connection() as connection:
            connection.execute(statement, {"by_channel": channel, "by_key": key, **values})
        remembered = memo(self._db)
        if remembered is not None:
            remembered.pop(_memo_key(channel, key), None)

    def last_inbound(self, channel: str, external_id: str) -> datetime | None:
        found = self.find(channel, external_id)
        return found.last_inbound_at if found else None

    # Right to erasure ------------------------------------------------------

    def delete_everything(self, person_id: int) -> bool:
        """Erase the person and every row about them. True if they existed."""
        with self._db.session() as session:
            person = session.get(Person, person_id)
            if person is not None and person.external_id_encrypted:
                # Queued or finished inbox/outbox rows of this person (keyed by "channel:id").
                clear = self._identity.open(person.channel, person.external_id_encrypted)
                key = queue_hash(self._identity, f"{person.channel}:{clear}")
                for queue in (InboxItem, OutboxItem):
                    session.execute(delete(queue).where(queue.key == key))
            # Explicit deletes for our tables (FK cascades cover tables other
            # modules hang off persons.id, on both databases).
            for model in (UnansweredQuestion, HandoffTicket, Subscription, ConversationState):
                session.execute(delete(model).where(model.person_id == person_id))
            for table in _other_tables_referencing_persons():
                for column in _person_columns(table):
                    session.execute(table.delete().where(column == person_id))
            existed = session.execute(delete(Person).where(Person.id == person_id)).rowcount > 0
        remembered = memo(self._db)
        if remembered is not None:
            for key in [k for k, v in remembered.items() if isinstance(v, PersonRecord) and v.id == person_id]:
                del remembered[key]
        forget_state(self._db, person_id)
        if self._state_store is not None:
            self._state_store.delete(person_id)
        return existed

    def _remember(self, key: str, record: PersonRecord) -> None:
        remembered = memo(self._db)
        if remembered is not None:
            remembered[_memo_key(record.channel, key)] = record


def _memo_key(channel: str, key: str) -> tuple[str, str, str]:
    return ("person", channel, key)


_PERSONS = Person.__table__
_BY_KEY_WHERE = (_PERSONS.c.channel == bindparam("by_channel"), _PERSONS.c.external_id == bindparam("by_key"))
_RECORD_COLUMNS = (
    _PERSONS.c.id, _PERSONS.c.display_name, _PERSONS.c.language, _PERSONS.c.territoire, _PERSONS.c.bassin,
    _PERSONS.c.status, _PERSONS.c.created_at, _PERSONS.c.last_inbound_at, _PERSONS.c.last_seen_at,
)
_STATES = ConversationState.__table__
_TICKETS = HandoffTicket.__table__
# With the person, what every turn reads next: their conversation state and whether a
# referent has their chat (one statement instead of three per message). Scalar subqueries,
# so that both a SELECT and an UPDATE … RETURNING (which cannot join) can carry them.
_TURN_READS = (
    *_RECORD_COLUMNS,
    select(_STATES.c.data).where(_STATES.c.person_id == _PERSONS.c.id).scalar_subquery().label("state"),
    exists().where(
        _TICKETS.c.person_id == _PERSONS.c.id, _TICKETS.c.status.in_(OPEN_TICKET_STATUSES),
    ).label("open_ticket"),
)
# Built once: building a statement (and its cache key) costs about as much as running it.
_BY_KEY = select(*_TURN_READS).where(*_BY_KEY_WHERE)
_UPDATES: dict[frozenset[str], Any] = {}


def _update_by_id(fields: frozenset[str]) -> Any:
    """UPDATE … RETURNING for this set of columns, built once per set (there are few)."""
    statement = _UPDATES.get(fields)
    if statement is None:
        statement = update(_PERSONS).where(_PERSONS.c.id == bindparam("by_id")).values(
            {name: bindparam(name) for name in sorted(fields)}
        ).returning(*_RECORD_COLUMNS, _PERSONS.c.channel, _PERSONS.c.external_id, _PERSONS.c.external_id_encrypted)
        _UPDATES[fields] = statement
    return statement


def _record_of_row(row: Any, channel: str, external_id: str) -> PersonRecord:
    """A record from a Core row of ``_RECORD_COLUMNS``; the clear id is the caller's."""
    return PersonRecord(
        id=row.id, channel=channel, external_id=external_id, display_name=row.display_name,
        language=row.language, territoire=row.territoire, bassin=row.bassin, status=row.status,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        last_inbound_at=as_utc(row.last_inbound_at), last_seen_at=as_utc(row.last_seen_at),
    )
# Writing to us makes a person reachable again.
_TOUCH = update(_PERSONS).where(*_BY_KEY_WHERE).values(
    last_inbound_at=bindparam("at"), last_seen_at=bindparam("at"), status="active",
)
# The same, returning what ``_BY_KEY`` reads.
_TOUCH_RETURNING = _TOUCH.returning(*_TURN_READS)
_MARK_UNREACHABLE = update(_PERSONS).where(*_BY_KEY_WHERE).values(status="unreachable")


_OWN_TABLES = {"persons", "conversation_states", "subscriptions", "handoff_tickets",
               "unanswered_questions"}


def _other_tables_referencing_persons() -> list[Any]:
    return [
        table
        for table in reversed(Base.metadata.sorted_tables)
        if table.name not in _OWN_TABLES and _person_columns(table)
    ]


def _person_columns(table: Any) -> list[Any]:
    return [
        fk.parent for fk in table.foreign_keys if fk.column.table.name == "persons"
    ]
