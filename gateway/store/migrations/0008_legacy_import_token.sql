-- The token of a tenant's product-import URL (/shops/{tenant}/get_specter_articles?token=…), which
-- the shop's import script (the legacy PHP shop's get_specter_articles.php) calls. Only its
-- SHA-256 is kept: the console shows the token once, when it is made, and a copy of the database
-- opens nothing. Making a new one replaces the row, so the old token stops working at once.
CREATE TABLE import_tokens (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
