-- Ownership: who created an article shared by shops on one account, and the stock level last
-- written to each shop.

-- "Who on this account bound this article number, and who created its Specter article": a
-- product export asks it for each article it sends, across every tenant of the account.
CREATE INDEX bindings_article_origin ON bindings (account_id, specter_no) WHERE kind = 'article' AND origin != '';

-- The level last written to a tenant's shop per article: an unchanged level is not written
-- again. "Update stock now" forgets a tenant's rows, so every level is written once more.
CREATE TABLE stock_written (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    article_no TEXT NOT NULL,
    available INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, article_no)
) WITHOUT ROWID;
