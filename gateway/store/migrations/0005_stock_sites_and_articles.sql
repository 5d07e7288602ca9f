-- Stock levels for articles a shop does not have yet.

-- waiting = 1: the shop answered "not in this shop" for this level. It is kept, not retried on
-- every push, until the product appears (the import creates it, or the shop announces it), a
-- newer level arrives, or "update stock now" asks for everything again.
ALTER TABLE stock_pending ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
