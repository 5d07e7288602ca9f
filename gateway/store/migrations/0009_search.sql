-- Finding an order or an article, and telling its story: what the support person types
-- (a shop order number, Specter's order number, a customer's e-mail, an article number), and
-- every event that was about the object, with each run of each event.

-- What an order was found by, recorded when the gateway handles it (so also an order it does
-- not send: a draft, one waiting for a manual export): field 'number' (the shop's order
-- number), 'id' (the shop's order id, where it is not the number), 'email' (the customer's)
-- or 'article_no' (one per product row). term: the value
-- lower-cased, for a search that ignores case, and first in the key, so an exact term and a
-- prefix (a range of terms) are both one index search. value: as the shop has it, to show.
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('order')),
    shop_id TEXT NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('id', 'number', 'email', 'article_no')),
    value TEXT NOT NULL,
    PRIMARY KEY (term, tenant_id, kind, shop_id, field)
) WITHOUT ROWID;
-- An object's terms, replaced whenever it is handled again (and the tenant's, when it goes).
CREATE INDEX search_terms_object ON search_terms (tenant_id, kind, shop_id);

-- Specter's numbers, searched across tenants: an order's orderNo and externalOrderNo, an
-- article's number. NOCASE: "s1-1234" finds "S1-1234".
CREATE INDEX bindings_number_search ON bindings (specter_no COLLATE NOCASE) WHERE specter_no != '';
CREATE INDEX bindings_external_search ON bindings (external_no COLLATE NOCASE) WHERE external_no != '';
CREATE INDEX specter_articles_search ON specter_articles (article_no COLLATE NOCASE);

-- A shop object's own events (subject 'order:<id>', 'product:<id>'), for its story. Partial:
-- only these kinds pay for it, not every stock push and callback.
CREATE INDEX events_shop_object ON events (tenant_id, subject, id)
    WHERE kind = 'shop.order' OR kind = 'shop.product';

-- Events about an object whose subject names something else: an order's status changes read
-- from Specter (one event for a batch of orders), the stock realigned after it was cancelled.
-- The handler that acts on the object records the link.
CREATE TABLE object_events (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'article')),
    shop_id TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, kind, shop_id, event_id)
) WITHOUT ROWID;
CREATE INDEX object_events_event ON object_events (event_id);

-- Every run of every event, with how it ended (an event keeps only its last error): at is when
-- the run ended, attempt its number (counted again from 1 after "transfer again"), detail the
-- error (retry, dead) or the handler's reason (done, skipped).
CREATE TABLE event_attempts (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('retry', 'done', 'skipped', 'dead')),
    detail TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE INDEX event_attempts_event ON event_attempts (event_id, id);
