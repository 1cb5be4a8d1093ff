"""handoff_tickets: urgent requests raised by the distress check

Three additive columns: ``urgent`` (false for every existing ticket), ``urgent_at`` (when the
request became urgent) and ``trigger_text`` (the scrubbed message(s) that raised the alarm,
shown only to the referent who takes the ticket, deleted with it).

Revision ID: 0006_handoff_urgent
Revises: 0005_person_id_encrypted
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_handoff_urgent"
down_revision = "0005_person_id_encrypted"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("urgent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("trigger_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch_op:
        batch_op.drop_column("trigger_text")
        batch_op.drop_column("urgent_at")
        batch_op.drop_column("urgent")
