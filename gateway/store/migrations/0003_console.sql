-- The admin console: its users, their sessions, and what "connect" last did per tenant.

-- tenant_id NULL: a vendor admin, who sees every tenant; else a user of that tenant only.
-- Removing the tenant removes its users (and, through them, their sessions).
CREATE TABLE admin_users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,        -- scrypt, see gateway/web/console/passwords.py
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);

-- Server-side sessions: the cookie holds a random token, the table only its SHA-256, so a
-- copy of the database signs nobody in. Removing a row is signing out.
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES admin_users (name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- The answer of the latest "register callbacks and webhooks" (or its error), for the console.
CREATE TABLE tenant_connections (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    result TEXT NOT NULL,               -- JSON
    updated_at REAL NOT NULL
) WITHOUT ROWID;
