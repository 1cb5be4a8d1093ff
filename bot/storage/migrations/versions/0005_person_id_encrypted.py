"""persons.external_id_encrypted: the platform id encrypted at rest

``persons.external_id`` now holds a keyed hash (HMAC-SHA256) of the platform id,
for look-ups; the id itself is kept encrypted (AES-GCM) in the new column. Rows
from before are converted in place by the application at start-up
(``PersonRepository.protect_clear_ids``): the key is the application's, not the
migration's.

Revision ID: 0005_person_id_encrypted
Revises: 0004_shared_keys
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_person_id_encrypted"
down_revision = "0004_shared_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("external_id_encrypted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch_op:
        batch_op.drop_column("external_id_encrypted")
