-- The schema SQLite's migrations 0001-0008 built, in PostgreSQL's dialect: version 8 on both.
-- From here on, every change is a file of the same number and name in each directory (see
-- gateway/store/migrate.py). The comments on each table are in SQLite's migrations.
-- Types: times are unix seconds (DOUBLE PRECISION), JSON is kept as TEXT (as SQLite keeps it:
-- the gateway encodes and decodes it itself), and text that queries order or page by is
-- COLLATE "C", so both databases sort it alike (by code point).

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id TEXT COLLATE "C" PRIMARY KEY,
    data TEXT NOT NULL,
    secrets TEXT NOT NULL,
    callback_token_hash TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX accounts_callback_token ON accounts (callback_token_hash) WHERE callback_token_hash != '';

CREATE TABLE tenants (
    id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    data TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX tenants_account ON tenants (account_id);

-- The outbox. A sequence gives the ids (never reused: queued jobs name them).
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
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
    next_attempt_at DOUBLE PRECISION NOT NULL,
    last_error TEXT,
    result TEXT,
    history TEXT NOT NULL DEFAULT '[]',
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    UNIQUE (scope, idempotency_key)
);
CREATE INDEX events_due ON events (next_attempt_at) WHERE status IN ('pending', 'retry', 'running');
CREATE INDEX events_running_subject ON events (scope, subject) WHERE status = 'running';
CREATE INDEX events_pending_subject ON events (scope, kind, subject) WHERE status = 'pending';
CREATE INDEX events_tenant ON events (tenant_id, status, id);
CREATE INDEX events_status ON events (status, id);

CREATE TABLE batches (
    account_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    batch_no TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'stored', 'acknowledged')),
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, flow, batch_no)
);
CREATE INDEX batches_unacknowledged ON batches (account_id, flow, created_at) WHERE state != 'acknowledged';

CREATE TABLE stock_levels (
    account_id TEXT NOT NULL,
    article_no TEXT COLLATE "C" NOT NULL,
    site TEXT NOT NULL DEFAULT '',
    available INTEGER NOT NULL,
    version BIGINT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, article_no, site)
);

CREATE TABLE stock_pending (
    tenant_id TEXT NOT NULL,
    article_no TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    waiting BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, article_no)
);
CREATE INDEX stock_pending_waiting ON stock_pending (tenant_id) WHERE waiting;

CREATE TABLE admin_users (
    name TEXT COLLATE "C" PRIMARY KEY,
    password_hash TEXT NOT NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES admin_users (name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

CREATE TABLE tenant_connections (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    result TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE bindings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'article', 'customer', 'category')),
    shop_id TEXT NOT NULL,
    parent_shop_id TEXT NOT NULL DEFAULT '',
    specter_id TEXT NOT NULL DEFAULT '',
    specter_no TEXT NOT NULL DEFAULT '',
    external_no TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'bound' CHECK (state IN ('sending', 'bound')),
    to_specter_fp TEXT NOT NULL DEFAULT '',
    to_specter_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    to_shop_fp TEXT NOT NULL DEFAULT '',
    to_shop_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, kind, shop_id)
);
CREATE INDEX bindings_specter_no ON bindings (tenant_id, kind, specter_no);
CREATE INDEX bindings_specter_id ON bindings (tenant_id, kind, specter_id) WHERE specter_id != '';
CREATE INDEX bindings_parent ON bindings (tenant_id, kind, parent_shop_id) WHERE parent_shop_id != '';
-- Not UNIQUE, as in SQLite: a second holder is refused by the store (begin_order), under a lock.
CREATE INDEX bindings_external ON bindings (account_id, external_no) WHERE kind = 'order' AND external_no != '';
CREATE INDEX bindings_article_origin ON bindings (account_id, specter_no) WHERE kind = 'article' AND origin != '';

CREATE TABLE shop_cursors (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    last_look TEXT NOT NULL,
    first_look TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE specter_articles (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    article_no TEXT COLLATE "C" NOT NULL,
    info TEXT NOT NULL,
    read_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, article_no)
);

CREATE TABLE webhook_health (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    checked_at DOUBLE PRECISION NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    shop_fingerprint TEXT NOT NULL DEFAULT '',
    webhooks TEXT NOT NULL DEFAULT '[]',
    repairs TEXT NOT NULL DEFAULT '[]',
    error TEXT
);

CREATE TABLE stock_written (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    article_no TEXT COLLATE "C" NOT NULL,
    available INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, article_no)
);

CREATE TABLE import_tokens (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
