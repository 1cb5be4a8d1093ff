"""broadcast rows: "claimed" told apart from "maybe delivered"; final status "uncertain"

``attempted_at`` is committed right before a row's request is written to the network:
a row a dead sender left "sending" without it never left and is queued again, one
with it may have reached the person and becomes "uncertain" (never sent again).
Reminders get ``claimed_at`` (refreshed by the live sender, so a dead one's claims
expire) and ``attempted_at`` too. Rows already "sending" were claimed under the old
rule, where nobody can tell: they count as attempted.

Revision ID: 0008_broadcast_attempts
Revises: 0007_console
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_broadcast_attempts"
down_revision = "0007_console"
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped')"
NEW = "status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped', 'uncertain')"


def upgrade() -> None:
    with op.batch_alter_table("broadcast_recipients") as batch_op:
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f("ck_broadcast_recipients_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_broadcast_recipients_status"), NEW)
    with op.batch_alter_table("broadcast_reminders") as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f("ck_broadcast_reminders_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_broadcast_reminders_status"), NEW)
    op.execute(
        "UPDATE broadcast_recipients SET attempted_at = COALESCE(claimed_at, CURRENT_TIMESTAMP) "
        "WHERE status = 'sending'"
    )
    op.execute(
        "UPDATE broadcast_reminders SET claimed_at = CURRENT_TIMESTAMP, attempted_at = CURRENT_TIMESTAMP "
        "WHERE status = 'sending'"
    )


def downgrade() -> None:
    # Before this revision an uncertain row was one left "sending".
    op.execute("UPDATE broadcast_recipients SET status = 'sending' WHERE status = 'uncertain'")
    op.execute("UPDATE broadcast_reminders SET status = 'sending' WHERE status = 'uncertain'")
    with op.batch_alter_table("broadcast_reminders") as batch_op:
        batch_op.drop_constraint(op.f("ck_broadcast_reminders_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_broadcast_reminders_status"), OLD)
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("broadcast_recipients") as batch_op:
        batch_op.drop_constraint(op.f("ck_broadcast_recipients_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_broadcast_recipients_status"), OLD)
        batch_op.drop_column("attempted_at")
