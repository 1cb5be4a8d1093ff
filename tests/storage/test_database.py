from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from bot.storage.database import Database
from bot.storage.models import Person


def test_sqlite_creates_parent_dir_and_sets_pragmas(tmp_path):
    path = tmp_path / "a" / "b" / "bot.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    db.create_schema()
    try:
        assert path.exists()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        db.dispose()


def test_create_schema_is_idempotent(db):
    db.create_schema()
    db.create_schema()
    tables = set(inspect(db.engine).get_table_names(schema=db.schema))
    assert {
        "persons",
        "conversation_states",
        "subscriptions",
        "handoff_tickets",
        "unanswered_questions",
        "inbox_items",
    } <= tables


def test_session_commits_on_success_and_rolls_back_on_error(db):
    with db.session() as session:
        session.add(Person(channel="cli", external_id="kept"))
    with pytest.raises(RuntimeError):
        with db.session() as session:
            session.add(Person(channel="cli", external_id="dropped"))
            session.flush()
            raise RuntimeError("boom")
    with db.session() as session:
        ids = session.scalars(select(Person.external_id)).all()
    assert ids == ["kept"]


def test_postgres_schema_isolates_tables(postgres_db):
    with postgres_db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        in_schema = conn.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
            {"s": postgres_db.schema},
        ).scalar()
    assert schema == postgres_db.schema
    assert in_schema >= 6


@pytest.mark.parametrize("schema", ["Robert'); DROP", "1abc", "a" * 70, ""])
def test_rejects_unsafe_schema_names(schema):
    with pytest.raises(ValueError):
        Database.from_url("postgresql+psycopg://postgres@127.0.0.1:5432/test", schema=schema)


def test_rejects_schema_on_sqlite_and_unknown_backends(tmp_path):
    with pytest.raises(ValueError):
        Database.from_url(f"sqlite:///{tmp_path}/x.db", schema="s")
    with pytest.raises(ValueError):
        Database.from_url("mysql://u@h/db")


def test_a_connection_the_server_dropped_is_reported_then_replaced(postgres_db):
    """Without pre-ping, the first statement on a dropped connection fails as "connection
    lost" (the caller retries: the queue row goes back); the pool is renewed and the next works."""
    import sqlalchemy

    from bot.storage.database import connection_lost
    from tests.conftest import POSTGRES_URL

    with postgres_db.session() as session:
        pid = session.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar()  # now pooled
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    with pytest.raises(sqlalchemy.exc.DBAPIError) as failure:
        with postgres_db.session() as session:
            session.execute(sqlalchemy.text("SELECT 1"))
    assert connection_lost(failure.value)
    with postgres_db.session() as session:
        assert session.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
