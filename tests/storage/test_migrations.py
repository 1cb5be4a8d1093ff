"""Alembic migrations: an empty database and a database of release 0.1.0 (made by
``create_all``, frozen in tests/storage/data) both reach head on SQLite and
PostgreSQL, and head is exactly the models' schema."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.core.errors import SchemaOutOfDate
from bot.storage import schema
from bot.storage.database import Database
from tests.conftest import POSTGRES_URL, _unavailable

DATA = Path(__file__).parent / "data"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no table at all (a fresh schema on PostgreSQL)."""
    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path / 'terrapro.sqlite3'}")
        yield db
        db.dispose()
        return
    reason = request.getfixturevalue("_postgres_reachable")
    if reason is not None:
        _unavailable("PostgreSQL", reason)
    db = Database.from_url(POSTGRES_URL, schema=f"m_{uuid.uuid4().hex[:16]}")
    db.ensure_dedicated_schema()
    try:
        yield db
    finally:
        db.drop_schema()
        db.dispose()


def load_release_0_1_0(db: Database) -> None:
    """The schema exactly as release 0.1.0's create_all made it, plus a few rows."""
    lines = (DATA / f"release_0_1_0_{db.dialect}.sql").read_text().splitlines()
    dump = "\n".join(line for line in lines if not line.startswith("--"))
    statements = [s for s in dump.split(";\n") if s.strip()]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(text(
            "INSERT INTO persons (id, channel, external_id, language, status, created_at) VALUES "
            "(1, 'telegram', '111', 'fr', 'active', '2026-11-01 10:00:00'),"
            "(2, 'whatsapp', '222', 'wo', 'active', '2026-11-01 10:00:00')"
        ))
        conn.execute(text(
            "INSERT INTO referents (id, name, telegram_id, role, present, created_at) "
            "VALUES (7, 'Awa', '900', 'referent', true, '2026-11-01 10:00:00')"
        ))
        # Ticket 1 taken by Awa; ticket 2 points at a referent removed long ago.
        conn.execute(text(
            "INSERT INTO handoff_tickets (id, person_id, channel, topic, summary, status, created_at, referent_id) "
            "VALUES (1, 1, 'telegram', '{}', 'solaire', 'assigned', '2026-11-01 10:00:00', 7),"
            "(2, 2, 'whatsapp', '{}', 'couture', 'closed', '2026-11-01 10:00:00', 99)"
        ))
        conn.execute(text(
            "INSERT INTO handoff_notices (ticket_id, referent_id, message_ref, sent_at) "
            "VALUES (1, 7, 'm-1', '2026-11-01 10:00:00')"
        ))


def test_migrations_have_one_head_and_start_at_the_baseline():
    revisions = list(schema.script().walk_revisions())
    assert revisions[-1].revision == schema.BASELINE
    assert schema.head() == revisions[0].revision


def test_an_empty_database_upgrades_to_exactly_the_models(empty_db):
    assert schema.status(empty_db).current is None
    assert schema.status(empty_db).legacy is False
    reached = schema.upgrade(empty_db)
    assert reached.current == schema.head() and reached.up_to_date
    assert schema.differences(empty_db) == []  # what `alembic check` checks
    assert schema.upgrade(empty_db).current == schema.head()  # idempotent


def test_a_release_0_1_0_database_upgrades_and_keeps_its_rows(empty_db):
    load_release_0_1_0(empty_db)
    assert schema.status(empty_db).legacy
    schema.upgrade(empty_db)
    assert schema.status(empty_db).up_to_date
    assert schema.differences(empty_db) == []
    with empty_db.engine.begin() as conn:
        tickets = dict(conn.execute(text("SELECT id, referent_id FROM handoff_tickets")).all())
        assert tickets == {1: 7, 2: None}  # the dangling pointer is cleared, the ticket kept
        # The batch copy on SQLite must not have cascaded into the notices.
        assert conn.execute(text("SELECT count(*) FROM handoff_notices")).scalar_one() == 1
    with empty_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM referents WHERE id = 7"))
    with empty_db.engine.begin() as conn:
        assert conn.execute(text("SELECT referent_id FROM handoff_tickets WHERE id = 1")).scalar_one() is None
        assert conn.execute(text("SELECT count(*) FROM handoff_tickets")).scalar_one() == 2
    # The one-open-ticket-per-person index is still partial after the table copy.
    with empty_db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO handoff_tickets (id, person_id, channel, topic, summary, status, created_at) "
            "VALUES (3, 2, 'whatsapp', '{}', '', 'waiting', '2026-11-02 10:00:00')"
        ))
    with pytest.raises(IntegrityError), empty_db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO handoff_tickets (id, person_id, channel, topic, summary, status, created_at) "
            "VALUES (4, 2, 'whatsapp', '{}', '', 'waiting', '2026-11-02 11:00:00')"
        ))


def test_a_test_schema_from_the_models_is_stamped_at_head(db):
    assert schema.status(db).up_to_date
    assert schema.differences(db) == []


def test_a_database_behind_the_code_is_refused_with_the_command_to_run(empty_db):
    schema.upgrade(empty_db, schema.BASELINE)
    with pytest.raises(SchemaOutOfDate) as refused:
        schema.ensure_current(empty_db, auto_upgrade=False)
    assert "terrapro db upgrade" in str(refused.value)
    assert schema.BASELINE in str(refused.value)
    schema.ensure_current(empty_db, auto_upgrade=True)
    assert schema.status(empty_db).up_to_date


def test_the_last_migration_downgrades_and_upgrades_again(empty_db):
    schema.upgrade(empty_db)
    previous = schema.script().get_revision(schema.head()).down_revision
    schema.downgrade(empty_db, previous)
    assert schema.status(empty_db).current == previous
    schema.upgrade(empty_db)
    assert schema.differences(empty_db) == []


def test_rows_left_sending_before_0008_count_as_attempted(empty_db):
    """Under the old rule nobody can tell a claimed row from a sent one: never sent again."""
    schema.upgrade(empty_db, "0007_console")
    with empty_db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO persons (id, channel, external_id, language, status, created_at) "
            "VALUES (1, 'telegram', '111', 'fr', 'active', '2026-11-01 10:00:00')"
        ))
        conn.execute(text(
            "INSERT INTO broadcast_campaigns (id, text, status, created_at, recipient_count) "
            "VALUES (1, 'x', 'sending', '2026-11-01 10:00:00', 1)"
        ))
        conn.execute(text(
            "INSERT INTO broadcast_recipients (campaign_id, person_id, status, run_id, claimed_at) "
            "VALUES (1, 1, 'sending', 'old', '2026-11-01 10:00:00')"
        ))
    schema.upgrade(empty_db)
    with empty_db.engine.begin() as conn:
        assert conn.execute(text("SELECT attempted_at FROM broadcast_recipients")).scalar_one() is not None
        conn.execute(text("UPDATE broadcast_recipients SET status = 'uncertain'"))
    with pytest.raises(IntegrityError), empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE broadcast_recipients SET status = 'lost'"))


def test_0011_keeps_one_leased_row_per_key_and_refuses_a_second(empty_db):
    """Rows leased twice for one key before 0011 (none while the rule held): the oldest keeps
    its lease, the others go back to the queue; afterwards the database refuses a second one."""
    schema.upgrade(empty_db, "0010_drop_processed_messages")
    insert = text(
        "INSERT INTO inbox_items (id, channel, dedupe_id, key, status, attempts, available_at, created_at) "
        "VALUES (:id, 'whatsapp', :dedupe, :key, 'leased', 1, '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
    )
    with empty_db.engine.begin() as conn:
        for row_id, key in ((1, "A"), (2, "A"), (3, "B")):
            conn.execute(insert, {"id": row_id, "dedupe": f"m{row_id}", "key": key})
    schema.upgrade(empty_db)
    with empty_db.engine.begin() as conn:
        statuses = conn.execute(text("SELECT id, status FROM inbox_items ORDER BY id")).all()
    assert [tuple(r) for r in statuses] == [(1, "leased"), (2, "queued"), (3, "leased")]
    with pytest.raises(IntegrityError), empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE inbox_items SET status = 'leased' WHERE id = 2"))
