-- Each tenant's last reconciliation, and an order's latest event found by index (the comments
-- are in SQLite's 0012_reconciliation.sql).

CREATE TABLE reconciliations (
    tenant_id TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    finished_at DOUBLE PRECISION NOT NULL,
    report TEXT NOT NULL
);

CREATE INDEX events_order_subject ON events (tenant_id, subject, id) WHERE kind = 'shop.order';
