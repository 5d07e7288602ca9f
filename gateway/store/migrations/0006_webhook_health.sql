-- The last check of each tenant's webhooks in its shop (every poll, and "connect"), for the
-- console and the admin API, with what the checks repaired.

-- url: the events URL the webhooks were last found calling (to move them when it changes).
-- shop_fingerprint: an HMAC, keyed with the tenant's inbound token, of the shop settings the
-- webhooks were last written with; when the settings change (a new webhook secret) they are
-- written again. webhooks: per topic, as the last successful check left them (JSON).
-- repairs: what checks changed, newest first (JSON). error: why the last check failed, NULL
-- when it succeeded.
CREATE TABLE webhook_health (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    checked_at REAL NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    shop_fingerprint TEXT NOT NULL DEFAULT '',
    webhooks TEXT NOT NULL DEFAULT '[]',
    repairs TEXT NOT NULL DEFAULT '[]',
    error TEXT
) WITHOUT ROWID;

-- Tenants the poller already looks at are live: their webhooks are checked from the next poll
-- on (never checked yet, so checked_at 0 and no URL to move them from).
INSERT INTO webhook_health (tenant_id, checked_at)
SELECT DISTINCT tenant_id, 0 FROM shop_cursors;
