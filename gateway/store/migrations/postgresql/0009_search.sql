-- Finding an order or an article, and telling its story (the comments are in SQLite's
-- 0009_search.sql). Searches ignore case through lower(): the search terms are kept lower-cased,
-- Specter's numbers are indexed by lower(number); COLLATE "C" makes "starts with" a range of
-- one index, as in SQLite.

CREATE TABLE search_terms (
    term TEXT COLLATE "C" NOT NULL,
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('order')),
    shop_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL CHECK (field IN ('id', 'number', 'email', 'article_no')),
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (term, tenant_id, kind, shop_id, field)
);
CREATE INDEX search_terms_object ON search_terms (tenant_id, kind, shop_id);

CREATE INDEX bindings_number_search ON bindings ((lower(specter_no) COLLATE "C")) WHERE specter_no != '';
CREATE INDEX bindings_external_search ON bindings ((lower(external_no) COLLATE "C")) WHERE external_no != '';
CREATE INDEX specter_articles_search ON specter_articles ((lower(article_no) COLLATE "C"));

CREATE INDEX events_shop_object ON events (tenant_id, subject, id)
    WHERE kind = 'shop.order' OR kind = 'shop.product';

CREATE TABLE object_events (
    tenant_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('order', 'article')),
    shop_id TEXT COLLATE "C" NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, kind, shop_id, event_id)
);
CREATE INDEX object_events_event ON object_events (event_id);

CREATE TABLE event_attempts (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('retry', 'done', 'skipped', 'dead')),
    detail TEXT NOT NULL DEFAULT '',
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX event_attempts_event ON event_attempts (event_id, id);
