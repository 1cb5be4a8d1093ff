"""shared_entries: small state every process must see (button keys, blocked chats, drafts)

Long Telegram callback payloads and WhatsApp button ids behind a short key, chats
that blocked the bot, admins' /diffuser drafts: they lived in one process's memory.
Used when Redis is not configured (with Redis they live there).

Revision ID: 0004_shared_entries
Revises: 0003_durable_inbox_and_outbox
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004_shared_entries"
down_revision = "0003_durable_inbox_and_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_entries",
        sa.Column("namespace", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("namespace", "key", name=op.f("pk_shared_entries")),
    )
    op.create_index(op.f("ix_shared_entries_expires_at"), "shared_entries", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_entries_expires_at"), table_name="shared_entries")
    op.drop_table("shared_entries")
