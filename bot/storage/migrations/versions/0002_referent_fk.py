"""handoff_tickets.referent_id references referents.id (ON DELETE SET NULL)

Release 0.1.0 created handoff_tickets before the referents table existed, so the
column had no foreign key. Tickets pointing at a referent that no longer exists
lose that pointer first (the constraint would refuse them), then the key is
added; on SQLite through batch mode (copy the table, swap it in).

Revision ID: 0002_referent_fk
Revises: 0001_baseline
Create Date: 2026-11-26
"""
from __future__ import annotations

from alembic import op

revision = "0002_referent_fk"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

FK_NAME = "fk_handoff_tickets_referent_id_referents"


def upgrade() -> None:
    op.execute(
        "UPDATE handoff_tickets SET referent_id = NULL "
        "WHERE referent_id IS NOT NULL AND referent_id NOT IN (SELECT id FROM referents)"
    )
    with op.batch_alter_table("handoff_tickets") as batch_op:
        batch_op.create_foreign_key(FK_NAME, "referents", ["referent_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch_op:
        batch_op.drop_constraint(FK_NAME, type_="foreignkey")
