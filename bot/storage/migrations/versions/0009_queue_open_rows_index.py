"""Queues: a partial index on the unfinished rows, which a claim walks oldest first.

Without it every claim scanned the whole table, finished rows included.

Revision ID: 0009_queue_open_rows_index
Revises: 0008_broadcast_attempts
Create Date: 2026-11-26 14:51:44.931216
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_queue_open_rows_index'
down_revision = '0008_broadcast_attempts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_open', ['id'], unique=False, postgresql_where=sa.text("status IN ('queued', 'leased')"), sqlite_where=sa.text("status IN ('queued', 'leased')"))

    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_items_open', ['id'], unique=False, postgresql_where=sa.text("status IN ('queued', 'leased')"), sqlite_where=sa.text("status IN ('queued', 'leased')"))



def downgrade() -> None:
    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_items_open', postgresql_where=sa.text("status IN ('queued', 'leased')"), sqlite_where=sa.text("status IN ('queued', 'leased')"))

    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_open', postgresql_where=sa.text("status IN ('queued', 'leased')"), sqlite_where=sa.text("status IN ('queued', 'leased')"))

