"""Drop processed_messages: the durable inbox deduplicates received messages where it writes them.

Since 0003 every received message is deduplicated by the inbox's own unique key
(channel, platform id); this table was only ever purged.

Revision ID: 0010_drop_processed_messages
Revises: 0009_queue_open_rows_index
Create Date: 2026-11-27 00:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_drop_processed_messages'
down_revision = '0009_queue_open_rows_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_messages_created_at'))

    op.drop_table('processed_messages')


def downgrade() -> None:
    op.create_table('processed_messages',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'message_id', name=op.f('pk_processed_messages'))
    )
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_messages_created_at'), ['created_at'], unique=False)
