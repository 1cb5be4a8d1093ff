"""baseline: the schema of release 0.1.0

Revision ID: 0001_baseline
Revises: 
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001_baseline'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcast_campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('territoire', sa.String(length=32), nullable=True),
    sa.Column('bassin', sa.String(length=64), nullable=True),
    sa.Column('filiere', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=32), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('materialised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'done')", name=op.f('ck_broadcast_campaigns_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_campaigns'))
    )
    with op.batch_alter_table('broadcast_campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_campaigns_due', ['status', 'scheduled_at'], unique=False)

    op.create_table('outgoing_statuses',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'message_id', name=op.f('pk_outgoing_statuses'))
    )
    with op.batch_alter_table('outgoing_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_statuses_updated_at'), ['updated_at'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('territoire', sa.String(length=32), nullable=True),
    sa.Column('bassin', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('cli', 'telegram', 'whatsapp', 'rasa')", name=op.f('ck_persons_channel')),
    sa.CheckConstraint("language IN ('fr', 'wo')", name=op.f('ck_persons_language')),
    sa.CheckConstraint("status IN ('active', 'unreachable')", name=op.f('ck_persons_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_persons_channel_external_id'))
    )
    op.create_table('processed_messages',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'message_id', name=op.f('pk_processed_messages'))
    )
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_messages_created_at'), ['created_at'], unique=False)

    op.create_table('referents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('telegram_id', sa.String(length=32), nullable=False),
    sa.Column('bassin', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('referent', 'admin')", name=op.f('ck_referents_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referents')),
    sa.UniqueConstraint('telegram_id', name=op.f('uq_referents_telegram_id'))
    )
    op.create_table('send_error_counts',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'code', name=op.f('pk_send_error_counts'))
    )
    op.create_table('broadcast_recipients',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=True),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped')", name=op.f('ck_broadcast_recipients_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['broadcast_campaigns.id'], name=op.f('fk_broadcast_recipients_campaign_id_broadcast_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_broadcast_recipients_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_recipients')),
    sa.UniqueConstraint('campaign_id', 'person_id', name=op.f('uq_broadcast_recipients_campaign_id_person_id'))
    )
    with op.batch_alter_table('broadcast_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcast_recipients_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_broadcast_recipients_queue', ['campaign_id', 'status', 'id'], unique=False)

    op.create_table('broadcast_reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=True),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped')", name=op.f('ck_broadcast_reminders_status')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_broadcast_reminders_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_reminders')),
    sa.UniqueConstraint('person_id', 'event_id', name=op.f('uq_broadcast_reminders_person_id_event_id'))
    )
    with op.batch_alter_table('broadcast_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_reminders_due', ['status', 'due_at'], unique=False)

    op.create_table('conversation_states',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_conversation_states_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_conversation_states'))
    )
    op.create_table('handoff_tickets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('bassin', sa.String(length=64), nullable=True),
    sa.Column('topic', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('referent_id', sa.Integer(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'assigned', 'closed', 'cancelled')", name=op.f('ck_handoff_tickets_status')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_handoff_tickets_rating')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_handoff_tickets_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_tickets'))
    )
    with op.batch_alter_table('handoff_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_tickets_queue', ['status', 'created_at'], unique=False)
        batch_op.create_index('uq_handoff_tickets_one_open', ['person_id'], unique=True, postgresql_where=sa.text("status IN ('waiting', 'assigned')"), sqlite_where=sa.text("status IN ('waiting', 'assigned')"))

    op.create_table('subscriptions',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('territoire', sa.String(length=32), nullable=False),
    sa.Column('bassin', sa.String(length=64), nullable=True),
    sa.Column('filiere', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_subscriptions_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_area', ['territoire', 'bassin'], unique=False)

    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_unanswered_questions_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unanswered_questions'))
    )
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.create_index('ix_unanswered_questions_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_unanswered_questions_person_id'), ['person_id'], unique=False)

    op.create_table('handoff_announcements',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('person_told', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], name=op.f('fk_handoff_announcements_ticket_id_handoff_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_handoff_announcements'))
    )
    op.create_table('handoff_notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('referent_id', sa.Integer(), nullable=False),
    sa.Column('message_ref', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referent_id'], ['referents.id'], name=op.f('fk_handoff_notices_referent_id_referents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['handoff_tickets.id'], name=op.f('fk_handoff_notices_ticket_id_handoff_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_notices'))
    )
    with op.batch_alter_table('handoff_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_notices_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('handoff_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_notices_ticket_id'))

    op.drop_table('handoff_notices')
    op.drop_table('handoff_announcements')
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_questions_person_id'))
        batch_op.drop_index('ix_unanswered_questions_created')

    op.drop_table('unanswered_questions')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_area')

    op.drop_table('subscriptions')
    with op.batch_alter_table('handoff_tickets', schema=None) as batch_op:
        batch_op.drop_index('uq_handoff_tickets_one_open', postgresql_where=sa.text("status IN ('waiting', 'assigned')"), sqlite_where=sa.text("status IN ('waiting', 'assigned')"))
        batch_op.drop_index('ix_handoff_tickets_queue')

    op.drop_table('handoff_tickets')
    op.drop_table('conversation_states')
    with op.batch_alter_table('broadcast_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_broadcast_reminders_due')

    op.drop_table('broadcast_reminders')
    with op.batch_alter_table('broadcast_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_broadcast_recipients_queue')
        batch_op.drop_index(batch_op.f('ix_broadcast_recipients_person_id'))

    op.drop_table('broadcast_recipients')
    op.drop_table('send_error_counts')
    op.drop_table('referents')
    with op.batch_alter_table('processed_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_messages_created_at'))

    op.drop_table('processed_messages')
    op.drop_table('persons')
    with op.batch_alter_table('outgoing_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_statuses_updated_at'))

    op.drop_table('outgoing_statuses')
    with op.batch_alter_table('broadcast_campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_broadcast_campaigns_due')

    op.drop_table('broadcast_campaigns')
