-- The drop-in scripts' own table, created once in the shop's database (SQLite and MySQL alike).
-- The replay guard: gateway.php records the signature of every call it accepts until the
-- call's timestamp has left the 300-second window, and refuses a call it has recorded. It is a
-- table, not memory, because every PHP request runs on its own: only the database is shared by
-- all of them (and by every web server of the shop).
CREATE TABLE specter_seen_requests (
    signature CHAR(64) PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
