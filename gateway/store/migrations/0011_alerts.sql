-- Alerts and daily reports per tenant, and the console's limit on failed sign-ins.

-- Who is told about a tenant's trouble, and how (gateway/alerts/). data: the e-mail
-- addresses, the webhook URL and whether the daily report is e-mailed (JSON); secrets: the
-- webhook's signing secret (a Fernet token).
CREATE TABLE alert_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    secrets TEXT NOT NULL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;

-- What a person should be told, per tenant and cause (gateway.alerts.notify). message_id: the
-- message that told it; NULL while it waits for one (a digest takes every alert waiting).
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    cause TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at REAL NOT NULL,
    message_id INTEGER
);
CREATE INDEX alerts_waiting ON alerts (tenant_id, cause) WHERE message_id IS NULL;
CREATE INDEX alerts_tenant ON alerts (tenant_id, id);

-- The messages (e-mail and webhook call) that told alerts: at most one per tenant and cause in
-- each digest period. claimed_at: when a sender took its alerts; sent_at: when it went out (NULL
-- while being sent, or when it failed: error says why, and its alerts wait for the next one).
CREATE TABLE alert_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    cause TEXT NOT NULL,
    alerts INTEGER NOT NULL,
    claimed_at REAL NOT NULL,
    sent_at REAL,
    channels TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX alert_messages_cause ON alert_messages (tenant_id, cause, claimed_at);

-- A tenant's daily report (JSON), kept for the console. sent_at: when it was e-mailed; tried_at:
-- when a sender last took it (a sender that fails leaves it for another try later).
CREATE TABLE daily_reports (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    report TEXT NOT NULL,
    created_at REAL NOT NULL,
    tried_at REAL NOT NULL DEFAULT 0,
    sent_at REAL,
    error TEXT,
    PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;

-- Failed console sign-ins, by the name typed ('user:NAME') and by the client address
-- ('address:IP'): too many in a while lock that name or address out for a while.
CREATE TABLE signin_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX signin_failures_key ON signin_failures (key, at);
