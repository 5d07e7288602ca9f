-- Specter to shop: the stock levels read from Specter, what each tenant still has to receive,
-- and the parent of a shop variation in the id map.

-- The latest available quantity per article and stock site ('' when Specter answered for all
-- sites at once). version is the gateway's own counter, so "latest wins" survives reordering.
CREATE TABLE stock_levels (
    account_id TEXT NOT NULL,
    article_no TEXT NOT NULL,
    site TEXT NOT NULL DEFAULT '',
    available INTEGER NOT NULL,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, article_no, site)
) WITHOUT ROWID;

-- Articles whose level a tenant's shop has not yet received; version says which level: a row
-- is cleared only when the level sent is still the latest.
CREATE TABLE stock_pending (
    tenant_id TEXT NOT NULL,
    article_no TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, article_no)
) WITHOUT ROWID;

ALTER TABLE id_mappings ADD COLUMN parent_shop_id TEXT NOT NULL DEFAULT '';
CREATE INDEX id_mappings_parent ON id_mappings (tenant_id, kind, parent_shop_id) WHERE parent_shop_id != '';
