"""Queues: at most one leased row per key, enforced by a partial unique index.

Two processes writing one person's rows at once used to take a PostgreSQL advisory lock
first (one more statement for every row written); the index decides instead. Rows that
would break it (none, while the invariant held) are put back in the queue first.

Revision ID: 0011_queue_leased_key_unique
Revises: 0010_drop_processed_messages
Create Date: 2026-11-27 06:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_queue_leased_key_unique'
down_revision = '0010_drop_processed_messages'
branch_labels = None
depends_on = None

LEASED = sa.text("status = 'leased'")


def upgrade() -> None:
    for table in ('inbox_items', 'outbox_items'):
        op.execute(
            f"UPDATE {table} SET status = 'queued', lease_until = NULL, leased_by = NULL "
            f"WHERE status = 'leased' AND id NOT IN "
            f"(SELECT MIN(id) FROM {table} WHERE status = 'leased' GROUP BY key)"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f'ux_{table}_leased_key', ['key'], unique=True, postgresql_where=LEASED, sqlite_where=LEASED,
            )


def downgrade() -> None:
    for table in ('outbox_items', 'inbox_items'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ux_{table}_leased_key', postgresql_where=LEASED, sqlite_where=LEASED)
