-- Stock levels for articles a shop does not have yet, and the articles Specter handed out.

-- waiting = 1: the shop answered "not in this shop" for this level. It is kept, not retried on
-- every push, until the product appears (the import creates it, or the shop announces it), a
-- newer level arrives, or "update stock now" asks for everything again.
ALTER TABLE stock_pending ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
-- Every product event asks whether levels wait for this shop: answered from this index alone,
-- not by scanning the (after a big change, 100,000-row) pending list.
CREATE INDEX stock_pending_waiting ON stock_pending (tenant_id) WHERE waiting = 1;

-- Every article Specter handed out, as last read, per account: what "import" brings to a shop,
-- since Specter hands out only flagged articles and reading them un-flags them for good.
CREATE TABLE specter_articles (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    article_no TEXT NOT NULL,
    info TEXT NOT NULL,  -- the ArticleInfo as JSON
    read_at REAL NOT NULL,
    PRIMARY KEY (account_id, article_no)
) WITHOUT ROWID;
