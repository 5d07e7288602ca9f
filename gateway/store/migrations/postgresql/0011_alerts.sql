-- Alerts and daily reports per tenant, and the console's limit on failed sign-ins (the comments
-- are in SQLite's 0011_alerts.sql).

CREATE TABLE alert_settings (
    tenant_id TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    secrets TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    cause TEXT COLLATE "C" NOT NULL,
    detail TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    message_id BIGINT
);
CREATE INDEX alerts_waiting ON alerts (tenant_id, cause) WHERE message_id IS NULL;
CREATE INDEX alerts_tenant ON alerts (tenant_id, id);

CREATE TABLE alert_messages (
    id BIGSERIAL PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    cause TEXT COLLATE "C" NOT NULL,
    alerts INTEGER NOT NULL,
    claimed_at DOUBLE PRECISION NOT NULL,
    sent_at DOUBLE PRECISION,
    channels TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX alert_messages_cause ON alert_messages (tenant_id, cause, claimed_at);

CREATE TABLE daily_reports (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day TEXT COLLATE "C" NOT NULL,
    report TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    tried_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    sent_at DOUBLE PRECISION,
    error TEXT,
    PRIMARY KEY (tenant_id, day)
);

CREATE TABLE signin_failures (
    key TEXT COLLATE "C" NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX signin_failures_key ON signin_failures (key, at);
