-- Schema of release 0.1.0 (before Alembic), as Base.metadata.create_all emitted it on sqlite.
-- Frozen copy: never regenerate from the live models.
CREATE TABLE persons (
	id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	external_id VARCHAR(128) NOT NULL, 
	display_name VARCHAR(40), 
	language VARCHAR(2) NOT NULL, 
	territoire VARCHAR(32), 
	bassin VARCHAR(64), 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_inbound_at DATETIME, 
	last_seen_at DATETIME, 
	CONSTRAINT pk_persons PRIMARY KEY (id), 
	CONSTRAINT uq_persons_channel_external_id UNIQUE (channel, external_id), 
	CONSTRAINT ck_persons_channel CHECK (channel IN ('cli', 'telegram', 'whatsapp', 'rasa')), 
	CONSTRAINT ck_persons_language CHECK (language IN ('fr', 'wo')), 
	CONSTRAINT ck_persons_status CHECK (status IN ('active', 'unreachable'))
);

CREATE TABLE processed_messages (
	channel VARCHAR(16) NOT NULL, 
	message_id VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_processed_messages PRIMARY KEY (channel, message_id)
);

CREATE INDEX ix_processed_messages_created_at ON processed_messages (created_at);

CREATE TABLE referents (
	id INTEGER NOT NULL, 
	name VARCHAR(40) NOT NULL, 
	telegram_id VARCHAR(32) NOT NULL, 
	bassin VARCHAR(64), 
	role VARCHAR(16) NOT NULL, 
	present BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_referents PRIMARY KEY (id), 
	CONSTRAINT ck_referents_role CHECK (role IN ('referent', 'admin')), 
	CONSTRAINT uq_referents_telegram_id UNIQUE (telegram_id)
);

CREATE TABLE broadcast_campaigns (
	id INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	territoire VARCHAR(32), 
	bassin VARCHAR(64), 
	filiere VARCHAR(64), 
	event_id VARCHAR(32), 
	scheduled_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	materialised_at DATETIME, 
	recipient_count INTEGER NOT NULL, 
	heartbeat_at DATETIME, 
	finished_at DATETIME, 
	CONSTRAINT pk_broadcast_campaigns PRIMARY KEY (id), 
	CONSTRAINT ck_broadcast_campaigns_status CHECK (status IN ('draft', 'scheduled', 'sending', 'done'))
);

CREATE INDEX ix_broadcast_campaigns_due ON broadcast_campaigns (status, scheduled_at);

CREATE TABLE outgoing_statuses (
	channel VARCHAR(16) NOT NULL, 
	message_id VARCHAR(128) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	error_code VARCHAR(32), 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_outgoing_statuses PRIMARY KEY (channel, message_id)
);

CREATE INDEX ix_outgoing_statuses_updated_at ON outgoing_statuses (updated_at);

CREATE TABLE send_error_counts (
	channel VARCHAR(16) NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	count INTEGER NOT NULL, 
	last_at DATETIME NOT NULL, 
	CONSTRAINT pk_send_error_counts PRIMARY KEY (channel, code)
);

CREATE TABLE conversation_states (
	person_id INTEGER NOT NULL, 
	data JSON NOT NULL, 
	version INTEGER NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_conversation_states PRIMARY KEY (person_id), 
	CONSTRAINT fk_conversation_states_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE TABLE subscriptions (
	person_id INTEGER NOT NULL, 
	territoire VARCHAR(32) NOT NULL, 
	bassin VARCHAR(64), 
	filiere VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_subscriptions PRIMARY KEY (person_id), 
	CONSTRAINT fk_subscriptions_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE INDEX ix_subscriptions_area ON subscriptions (territoire, bassin);

CREATE TABLE handoff_tickets (
	id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	channel VARCHAR(16) NOT NULL, 
	bassin VARCHAR(64), 
	topic JSON NOT NULL, 
	summary TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	assigned_at DATETIME, 
	closed_at DATETIME, 
	referent_id INTEGER, 
	closing_note TEXT, 
	rating INTEGER, 
	CONSTRAINT pk_handoff_tickets PRIMARY KEY (id), 
	CONSTRAINT ck_handoff_tickets_status CHECK (status IN ('waiting', 'assigned', 'closed', 'cancelled')), 
	CONSTRAINT ck_handoff_tickets_rating CHECK (rating IS NULL OR rating BETWEEN 1 AND 5), 
	CONSTRAINT fk_handoff_tickets_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE INDEX ix_handoff_tickets_queue ON handoff_tickets (status, created_at);

CREATE UNIQUE INDEX uq_handoff_tickets_one_open ON handoff_tickets (person_id) WHERE status IN ('waiting', 'assigned');

CREATE TABLE unanswered_questions (
	id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	text VARCHAR(500) NOT NULL, 
	intent VARCHAR(64) NOT NULL, 
	confidence FLOAT NOT NULL, 
	language VARCHAR(2) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_unanswered_questions PRIMARY KEY (id), 
	CONSTRAINT fk_unanswered_questions_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE INDEX ix_unanswered_questions_created ON unanswered_questions (created_at);

CREATE INDEX ix_unanswered_questions_person_id ON unanswered_questions (person_id);

CREATE TABLE broadcast_recipients (
	id INTEGER NOT NULL, 
	campaign_id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	reason VARCHAR(80), 
	run_id VARCHAR(32), 
	claimed_at DATETIME, 
	finished_at DATETIME, 
	CONSTRAINT pk_broadcast_recipients PRIMARY KEY (id), 
	CONSTRAINT uq_broadcast_recipients_campaign_id_person_id UNIQUE (campaign_id, person_id), 
	CONSTRAINT ck_broadcast_recipients_status CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped')), 
	CONSTRAINT fk_broadcast_recipients_campaign_id_broadcast_campaigns FOREIGN KEY(campaign_id) REFERENCES broadcast_campaigns (id) ON DELETE CASCADE, 
	CONSTRAINT fk_broadcast_recipients_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE INDEX ix_broadcast_recipients_person_id ON broadcast_recipients (person_id);

CREATE INDEX ix_broadcast_recipients_queue ON broadcast_recipients (campaign_id, status, id);

CREATE TABLE broadcast_reminders (
	id INTEGER NOT NULL, 
	person_id INTEGER NOT NULL, 
	event_id VARCHAR(32) NOT NULL, 
	due_at DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	reason VARCHAR(80), 
	run_id VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	CONSTRAINT pk_broadcast_reminders PRIMARY KEY (id), 
	CONSTRAINT uq_broadcast_reminders_person_id_event_id UNIQUE (person_id, event_id), 
	CONSTRAINT ck_broadcast_reminders_status CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unreachable', 'skipped')), 
	CONSTRAINT fk_broadcast_reminders_person_id_persons FOREIGN KEY(person_id) REFERENCES persons (id) ON DELETE CASCADE
);

CREATE INDEX ix_broadcast_reminders_due ON broadcast_reminders (status, due_at);

CREATE TABLE handoff_notices (
	id INTEGER NOT NULL, 
	ticket_id INTEGER NOT NULL, 
	referent_id INTEGER NOT NULL, 
	message_ref VARCHAR(64) NOT NULL, 
	sent_at DATETIME NOT NULL, 
	CONSTRAINT pk_handoff_notices PRIMARY KEY (id), 
	CONSTRAINT fk_handoff_notices_ticket_id_handoff_tickets FOREIGN KEY(ticket_id) REFERENCES handoff_tickets (id) ON DELETE CASCADE, 
	CONSTRAINT fk_handoff_notices_referent_id_referents FOREIGN KEY(referent_id) REFERENCES referents (id) ON DELETE CASCADE
);

CREATE INDEX ix_handoff_notices_ticket_id ON handoff_notices (ticket_id);

CREATE TABLE handoff_announcements (
	ticket_id INTEGER NOT NULL, 
	first_at DATETIME NOT NULL, 
	last_at DATETIME NOT NULL, 
	rounds INTEGER NOT NULL, 
	person_told BOOLEAN NOT NULL, 
	CONSTRAINT pk_handoff_announcements PRIMARY KEY (ticket_id), 
	CONSTRAINT fk_handoff_announcements_ticket_id_handoff_tickets FOREIGN KEY(ticket_id) REFERENCES handoff_tickets (id) ON DELETE CASCADE
);
