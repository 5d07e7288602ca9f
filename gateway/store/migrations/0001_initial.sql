-- The initial schema. Statements end at the end of a line (see gateway/store/migrate.py).

-- Small facts about the database itself (e.g. a value encrypted with the secret key, to tell a
-- changed key at start-up rather than at the first decryption).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,                 -- the account as JSON, without its secrets
    secrets TEXT NOT NULL,              -- Fernet token: keys and callback token
    callback_token_hash TEXT NOT NULL,  -- sha256 of the callback token, for look-ups; '' when none
    updated_at REAL NOT NULL
);
CREATE INDEX accounts_callback_token ON accounts (callback_token_hash) WHERE callback_token_hash != '';

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    data TEXT NOT NULL,                 -- name, platform, enabled as JSON
    settings TEXT NOT NULL,             -- TenantSettings as JSON
    secrets TEXT NOT NULL,              -- Fernet token: the shop connection and inbound token
    updated_at REAL NOT NULL
);
CREATE INDEX tenants_account ON tenants (account_id);

CREATE TABLE id_mappings (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    shop_id TEXT NOT NULL,
    specter_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, kind, shop_id)
) WITHOUT ROWID;
CREATE INDEX id_mappings_specter ON id_mappings (tenant_id, kind, specter_id);

-- The outbox. AUTOINCREMENT: an id is never reused after deletions, since queued jobs name it.
-- For a running event next_attempt_at is the end of its lease: when it is due again if its
-- worker died. scope is 't:<tenant>' or 'a:<account>': the namespace of idempotency keys and
-- of subjects.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    tenant_id TEXT,
    account_id TEXT,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'retry', 'done', 'dead', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    result TEXT,
    history TEXT NOT NULL DEFAULT '[]',  -- earlier runs' outcomes, kept when "transferred again"
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (scope, idempotency_key)      -- NULL keys never collide
);
CREATE INDEX events_due ON events (next_attempt_at) WHERE status IN ('pending', 'retry', 'running');
CREATE INDEX events_running_subject ON events (scope, subject) WHERE status = 'running';
CREATE INDEX events_tenant ON events (tenant_id, status, id);
CREATE INDEX events_status ON events (status, id);

CREATE TABLE batches (
    account_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    batch_no TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'stored', 'acknowledged')),
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, flow, batch_no)
) WITHOUT ROWID;
CREATE INDEX batches_unacknowledged ON batches (account_id, flow, created_at) WHERE state != 'acknowledged';
