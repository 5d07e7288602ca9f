-- Service articles the connection test made sure of in Specter (see SQLite's 0010_firstrun.sql).
CREATE TABLE service_articles (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    article_no TEXT COLLATE "C" NOT NULL,
    ensured_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (account_id, article_no)
);
