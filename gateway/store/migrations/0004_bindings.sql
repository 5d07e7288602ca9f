-- Bindings replace the generic id map: one row per pair of a shop object and its Specter
-- counterpart, per tenant and kind, with what was last written in each direction.

-- shop_id: the order id; product or variation id; customer id or 'email:<address>'; category id.
-- specter_id: Specter's own id where it has one (orderId, customerId); specter_no: the number
-- its users see (orderNo, articleNo, article group code). external_no: for orders, the
-- externalOrderNo they were sent with. origin: for articles, the tenant whose export created
-- it, or 'specter' when the product came from Specter.
-- Fingerprints: to_specter_fp of what was last sent to Specter, to_shop_fp of what was last
-- written to the shop. state: 'sending' while an order is on its way to Specter, then 'bound'.
CREATE TABLE bindings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('order', 'article', 'customer', 'category')),
    shop_id TEXT NOT NULL,
    parent_shop_id TEXT NOT NULL DEFAULT '',
    specter_id TEXT NOT NULL DEFAULT '',
    specter_no TEXT NOT NULL DEFAULT '',
    external_no TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'bound' CHECK (state IN ('sending', 'bound')),
    to_specter_fp TEXT NOT NULL DEFAULT '',
    to_specter_at REAL NOT NULL DEFAULT 0,
    to_shop_fp TEXT NOT NULL DEFAULT '',
    to_shop_at REAL NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, kind, shop_id)
) WITHOUT ROWID;
CREATE INDEX bindings_specter_no ON bindings (tenant_id, kind, specter_no);
CREATE INDEX bindings_specter_id ON bindings (tenant_id, kind, specter_id) WHERE specter_id != '';
CREATE INDEX bindings_parent ON bindings (tenant_id, kind, parent_shop_id) WHERE parent_shop_id != '';
-- Not UNIQUE: two tenants that already bound one number must not make the upgrade fail.
CREATE INDEX bindings_external ON bindings (account_id, external_no) WHERE kind = 'order' AND external_no != '';

-- The id map carried over (rows of removed tenants are dropped). Articles the tenant exported:
INSERT INTO bindings (tenant_id, account_id, kind, shop_id, parent_shop_id, specter_no, origin, to_specter_fp,
                      to_specter_at, updated_at)
SELECT m.tenant_id, t.account_id, 'article', m.shop_id, m.parent_shop_id, m.specter_id, m.tenant_id, m.fingerprint,
       m.updated_at, m.updated_at
FROM id_mappings m JOIN tenants t ON t.id = m.tenant_id WHERE m.kind = 'article';
-- 'imported' was keyed article number -> shop id, with the print of what was written to the shop.
-- (WHERE true: SQLite needs it to read ON CONFLICT after a SELECT as an upsert.)
INSERT INTO bindings (tenant_id, account_id, kind, shop_id, specter_no, origin, to_shop_fp, to_shop_at, updated_at)
SELECT m.tenant_id, t.account_id, 'article', m.specter_id, m.shop_id, 'specter', m.fingerprint, m.updated_at,
       m.updated_at
FROM id_mappings m JOIN tenants t ON t.id = m.tenant_id WHERE m.kind = 'imported' AND true
ON CONFLICT (tenant_id, kind, shop_id) DO UPDATE SET
    origin = 'specter', to_shop_fp = excluded.to_shop_fp, to_shop_at = excluded.to_shop_at;
-- An order was three rows: 'order' (Specter's order id; print: the externalOrderNo sent),
-- 'order_ext' (the externalOrderNo) and 'order_no' (Specter's order number).
INSERT INTO bindings (tenant_id, account_id, kind, shop_id, specter_id, specter_no, external_no, to_specter_at,
                      updated_at)
SELECT m.tenant_id, t.account_id, 'order', m.shop_id, m.specter_id,
       COALESCE((SELECT n.specter_id FROM id_mappings n
                 WHERE n.tenant_id = m.tenant_id AND n.kind = 'order_no' AND n.shop_id = m.shop_id), ''),
       COALESCE(NULLIF(m.fingerprint, ''),
                (SELECT e.specter_id FROM id_mappings e
                 WHERE e.tenant_id = m.tenant_id AND e.kind = 'order_ext' AND e.shop_id = m.shop_id), ''),
       m.updated_at, m.updated_at
FROM id_mappings m JOIN tenants t ON t.id = m.tenant_id WHERE m.kind = 'order';
INSERT INTO bindings (tenant_id, account_id, kind, shop_id, specter_id, to_specter_fp, to_specter_at, updated_at)
SELECT m.tenant_id, t.account_id, 'customer', m.shop_id, m.specter_id, m.fingerprint, m.updated_at, m.updated_at
FROM id_mappings m JOIN tenants t ON t.id = m.tenant_id WHERE m.kind = 'customer';

-- Where the poller last looked for changed shop orders, and when it first did (orders from
-- before that are not the gateway's to send). Times are ISO 8601.
CREATE TABLE shop_cursors (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    last_look TEXT NOT NULL,
    first_look TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;
INSERT INTO shop_cursors (tenant_id, name, last_look, first_look)
SELECT m.tenant_id, m.shop_id, m.specter_id, m.fingerprint
FROM id_mappings m JOIN tenants t ON t.id = m.tenant_id WHERE m.kind = 'cursor';

DROP TABLE id_mappings;
