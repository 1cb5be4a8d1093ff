"""Alembic environment: one code path for `terrapro db …`, the tests and the `alembic` CLI.

``bot.storage.schema`` passes an open connection in ``config.attributes``; the
``alembic`` command line (alembic.ini at the repository root) gets none and
connects to the database of the settings (``TERRAPRO_DATABASE_URL`` or SQLite).
"""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.schema import configure_context


def _run(connection: Connection) -> None:
    configure_context(context, connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bot.settings import Settings
    from bot.storage.database import Database
    from bot.storage.schema import foreign_keys_off

    db = Database.from_url(Settings().effective_database_url)
    try:
        with db.engine.connect() as connection, foreign_keys_off(connection):
            _run(connection)
    finally:
        db.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
