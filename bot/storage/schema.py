"""Schema versions: Alembic migrations in ``bot/storage/migrations/versions``.

``upgrade`` brings a database to the code's revision (a database made by the
0.1.0 release's ``create_all``, which has the baseline tables but no version
table, is stamped with the baseline first); ``ensure_current`` is what a
process calls before using the database: upgrade on its own (SQLite) or refuse
to start with the command to run (PostgreSQL, where an operator upgrades once
for every process).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from bot.core.errors import SchemaOutOfDate
from bot.storage.base import Base, UtcDateTime
from bot.storage.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001_baseline"
# A table every database made by release 0.1.0 has: tells "create_all, never stamped" from "empty".
_LEGACY_MARKER_TABLE = "persons"


def target_metadata() -> MetaData:
    """Every table of the code base (importing the modules registers them on ``Base``)."""
    import bot.storage.campaigns  # noqa: F401
    import bot.storage.delivery_status  # noqa: F401
    import bot.storage.models  # noqa: F401
    import bot.storage.queue  # noqa: F401
    import bot.storage.shared_keys  # noqa: F401

    return Base.metadata


@cache
def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Our revision ids already carry the slug (0003_add_x): the file is named by the id alone.
    config.set_main_option("file_template", "%%(rev)s")
    return config


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@cache
def head() -> str:
    heads = script().get_heads()
    if len(heads) != 1:  # two migrations written in parallel: one must revise the other
        raise RuntimeError(f"migrations have {len(heads)} heads: {sorted(heads)}")
    return heads[0]


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    legacy: bool  # tables of release 0.1.0 without a version table

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def status(db: Database) -> SchemaStatus:
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        legacy = current is None and inspect(connection).has_table(_LEGACY_MARKER_TABLE)
    return SchemaStatus(current=current, head=head(), legacy=legacy)


def upgrade(db: Database, revision: str = "heads") -> SchemaStatus:
    if db.schema is not None:
        db.ensure_dedicated_schema()
    if status(db).legacy:
        _run(db, command.stamp, BASELINE)
    _run(db, command.upgrade, revision)
    return status(db)


def downgrade(db: Database, revision: str) -> SchemaStatus:
    _run(db, command.downgrade, revision)
    return status(db)


def stamp_head(db: Database) -> None:
    """For a schema made by ``create_all`` from the current models (tests)."""
    _run(db, command.stamp, "heads")


def ensure_current(db: Database, *, auto_upgrade: bool) -> None:
    found = status(db)
    if found.up_to_date:
        return
    if auto_upgrade:
        upgrade(db)
        return
    raise SchemaOutOfDate(current=found.current or ("0.1.0" if found.legacy else None), expected=found.head)


def differences(db: Database) -> list[Any]:
    """What autogenerate would write: empty when the migrations build the models' schema."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=_compare_options())
        return compare_metadata(context, target_metadata())


def _run(db: Database, operation: Any, revision: str) -> None:
    config = _config()
    with db.engine.connect() as connection, foreign_keys_off(connection):
        config.attributes["connection"] = connection
        try:
            operation(config, revision)
        finally:
            config.attributes.pop("connection", None)


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite: batch migrations copy and drop tables; with foreign keys on, dropping a
    table would cascade-delete the rows that refer to it. The pragma only works
    outside a transaction, so it goes straight to the driver connection."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _compare_options() -> dict[str, Any]:
    return {"compare_type": True, "render_as_batch": True, "render_item": _render_item}


def configure_context(context: Any, connection: Connection) -> None:
    """Called by migrations/env.py."""
    context.configure(connection=connection, target_metadata=target_metadata(), **_compare_options())


def _render_item(kind: str, value: Any, autogen_context: Any) -> str | bool:
    # Migrations spell the project's UTC type as the plain SQL type it stores.
    if kind == "type" and isinstance(value, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def new_revision(message: str) -> Path:
    """Write the next migration, autogenerated from the models' difference with head.

    Compared on a throw-away SQLite database at head, so it needs no server; the
    id is the next number plus a slug (``0003_add_x``), which keeps files in order.
    """
    import re
    import tempfile

    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"
    number = 1 + max(int(rev.revision.split("_", 1)[0]) for rev in script().walk_revisions())
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{tmp}/head.sqlite3")
        try:
            upgrade(db)
            config = _config()
            with db.engine.connect() as connection:
                config.attributes["connection"] = connection
                try:
                    written = command.revision(
                        config, message=message, autogenerate=True, rev_id=f"{number:04d}_{slug}"
                    )
                finally:
                    config.attributes.pop("connection", None)
        finally:
            db.dispose()
    assert written is not None and not isinstance(written, list)
    return Path(written.path)
