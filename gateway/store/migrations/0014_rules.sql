-- Per-tenant rules (gateway/rules/): every saved version of a tenant's rule set, who saved it,
-- when, and which rules the save changed. The newest version is the one that runs. Plain SQL,
-- the same for every store.

-- rules: the rule set as JSON; changes: JSON list such as ["added b2b-site-2", "removed x"].
CREATE TABLE rule_sets (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    rules TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at REAL NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
