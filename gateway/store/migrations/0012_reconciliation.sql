-- Continuous reconciliation: each tenant's last comparison of its shop with Specter, and a way
-- to find an order's latest event without reading the tenant's whole event log.

-- report: the Reconciliation (gateway/store/base.py) as JSON: what was healed, what needs a
-- person and why, what was not compared. Replaced by each reconciliation.
CREATE TABLE reconciliations (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL,
    finished_at REAL NOT NULL,
    report TEXT NOT NULL
) WITHOUT ROWID;

-- "What became of this order": the newest shop.order event of a subject ('order:<id>'), asked
-- for every recent order a reconciliation finds unsent. Only order events carry the index.
CREATE INDEX events_order_subject ON events (tenant_id, subject, id) WHERE kind = 'shop.order';
