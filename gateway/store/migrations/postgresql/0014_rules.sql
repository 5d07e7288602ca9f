-- Per-tenant rules (see SQLite's 0014_rules.sql): every saved version of a tenant's rule set.
CREATE TABLE rule_sets (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    rules TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at DOUBLE PRECISION NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
