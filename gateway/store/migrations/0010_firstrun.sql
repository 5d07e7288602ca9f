-- Service articles (shipping, discount, fees, gift card) the connection test made sure of in
-- Specter, per account. Specter has no call that reads one article, so the gateway cannot ask
-- whether one exists; it can only submit it without forceArticleUpdate, which creates a
-- missing article and leaves an existing one as it is. A row here says that was done (and
-- Specter accepted it) at ensured_at, so the next test need not do it again.
CREATE TABLE service_articles (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    article_no TEXT NOT NULL,
    ensured_at REAL NOT NULL,
    PRIMARY KEY (account_id, article_no)
) WITHOUT ROWID;
