-- Named leases: work that must run on one node at a time (the shop poller, the reconciler). A
-- node holds a lease until expires_at and keeps renewing it; once that time has passed, any
-- node may take it. holder: the node (host, process and a random part); taken_at: when this
-- holder took it.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    taken_at REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
