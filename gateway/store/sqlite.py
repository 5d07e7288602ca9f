"""The embedded store: one SQLite file in WAL mode.

Each connection lives on its own thread (sqlite3 objects must stay on one thread). All writes go
through ONE writer task that owns the write connection: it takes every write queued since its
last commit and runs them in one ``BEGIN IMMEDIATE … COMMIT`` (group commit), each inside its
own savepoint so one failing write fails alone. Two coroutines therefore never share a half-done
transaction, and many concurrent webhook requests cost one fsync, not one each. Reads use a
second connection, which WAL lets run beside the writer.

Durable means on disk: ``synchronous = FULL`` makes every commit fsync the WAL before a write
(an acknowledged webhook, say) is answered, so a power cut loses nothing acknowledged; group
commit makes that one fsync for every write waiting at the time, not one each.

Secrets are sealed by :mod:`gateway.store.sealing`, as in every store.

Removing a tenant deletes its bindings, its cursors, its webhook health (by their foreign keys)
and its events; removing an account deletes its batches and its account-level events. "Transfer
again" moves an event's last error and result into its history (see
:meth:`SQLiteStore.event_history`) and clears them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import msgspec

from gateway.errors import ConfigError
from gateway.secrets import Cipher
from gateway.settings import SpecterAccount, Tenant
from gateway.specter.wire import ArticleInfo
from gateway.store.base import (
    BINDING_COLUMNS,
    REPAIRS_KEPT,
    SEARCH_PREFIX_MIN,
    AdminSession,
    AdminUser,
    Attempt,
    Batch,
    Binding,
    BindingKind,
    Cursor,
    Event,
    EventFilter,
    EventStatus,
    ImportToken,
    KeptArticle,
    Lease,
    NewEvent,
    PendingLevel,
    Reconciliation,
    SearchHit,
    SiteLevel,
    TermField,
    WebhookHealth,
)
from gateway.store.migrate import MIGRATIONS_DIR, migrate
from gateway.store.rows import (
    ALL_STATUSES,
    BINDING_FIELDS,
    EVENT_COLUMNS,
    EventRow,
    binding_from,
    decode,
    encode,
    event_from,
    event_row,
    history_entry,
)
from gateway.store.sealing import Sealer, TenantRow, token_hash
from gateway.store.sqlite_alerts import AlertsSQL
from gateway.store.sqlite_rules import RulesSQL

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]

BUSY_TIMEOUT_MS = 10_000
MAX_GROUP = 1000  # writes per group commit; bounds one transaction's length
# A pending or retry event is due at next_attempt_at; a running one when its lease (kept in the
# same column) has ended.
DUE = "status IN ('pending', 'retry', 'running') AND next_attempt_at <= :now"

_encode = encode
_decode = decode


def upsert_binding_sql(columns: frozenset[str]) -> str:
    """Insert a binding, or change only ``columns`` of the one that exists (and its updated_at)."""
    changes = ", ".join(f"{c} = excluded.{c}" for c in sorted(columns | {"updated_at"}))
    return (f"INSERT INTO bindings ({', '.join(BINDING_FIELDS)}) VALUES ({', '.join('?' * len(BINDING_FIELDS))})"
            f" ON CONFLICT (tenant_id, kind, shop_id) DO UPDATE SET {changes}")


def search_sql(*, prefix: bool) -> str:
    """The search: one statement of four index searches (the search terms by their key,
    Specter's numbers through the NOCASE indexes of migration 0010), each matching the whole
    value or, with ``prefix``, the range of values that start with it, and keeping the tenants
    asked for. ``+tenant_id``: the tenant list only filters; left to itself, SQLite would walk a
    tenant's every term instead of searching for the one typed."""

    def match(column: str, value: str, end: str, nocase: bool) -> str:
        collate = " COLLATE NOCASE" if nocase else ""
        if prefix:
            return f"{column} >= :{value}{collate} AND {column} < :{end}{collate}"
        return f"{column} = :{value}{collate}"

    mine = "+tenant_id IN (SELECT value FROM json_each(:tenants))"
    return (
        "SELECT tenant_id, kind, shop_id AS id, field, value, term = :term AS exact"
        f" FROM search_terms WHERE {match('term', 'term', 'term_end', False)} AND {mine}"
        " UNION ALL"
        " SELECT tenant_id, kind, CASE kind WHEN 'order' THEN shop_id ELSE specter_no END,"
        " CASE kind WHEN 'order' THEN 'specter_no' ELSE 'article_no' END, specter_no,"
        " specter_no = :text COLLATE NOCASE"
        f" FROM bindings INDEXED BY bindings_number_search WHERE {match('specter_no', 'text', 'end', True)}"
        f" AND specter_no != '' AND kind IN ('order', 'article') AND {mine}"
        " UNION ALL"
        " SELECT tenant_id, kind, shop_id, 'external_no', external_no, external_no = :text COLLATE NOCASE"
        f" FROM bindings INDEXED BY bindings_external_search WHERE {match('external_no', 'text', 'end', True)}"
        f" AND external_no != '' AND kind = 'order' AND {mine}"
        " UNION ALL"
        " SELECT t.id, 'article', a.article_no, 'article_no', a.article_no, a.article_no = :text COLLATE NOCASE"
        " FROM specter_articles AS a INDEXED BY specter_articles_search JOIN tenants AS t"
        f" ON t.account_id = a.account_id WHERE {match('a.article_no', 'text', 'end', True)}"
        " AND t.id IN (SELECT value FROM json_each(:tenants))"
        " ORDER BY exact DESC, tenant_id, kind, id LIMIT :limit"
    )


# Make the latest level kept for articles of the account pending for one tenant again (no
# longer waiting for its product); {only} narrows it to some articles.
RESEND_STOCK = (
    "INSERT INTO stock_pending (tenant_id, article_no, version)"
    " SELECT ?, article_no, MAX(version) FROM stock_levels WHERE account_id = ?{only} GROUP BY article_no"
    " ON CONFLICT (tenant_id, article_no) DO UPDATE SET version = excluded.version, waiting = 0"
)
# Take a lease that is free, expired, or the holder's own (then only its time changes); a row
# comes back only when the holder has it now. The same statement in both dialects.
TAKE_LEASE = (
    "INSERT INTO leases (name, holder, taken_at, expires_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at,"
    " taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END,"
    " holder = excluded.holder"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.taken_at"
    " RETURNING holder"
)
ARTICLES_PER_LOOKUP = 500  # article numbers in one IN list, well under SQLite's 32,766 variables
ORDER_EVENTS = "shop.order"  # the kind the index events_order_subject (migration 0012) covers


class SQLiteStore(AlertsSQL, RulesSQL):
    dialect = "sqlite"

    def __init__(self, path: Path | str, cipher: Cipher, *, migrations_dir: Path | str = MIGRATIONS_DIR):
        self.path = Path(path)
        self._sealer = Sealer(cipher)
        self._migrations_dir = Path(migrations_dir)
        self._reader: _Connection | None = None
        self._writer: _Writer | None = None

    # -- life cycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_conn = _Connection(self.path, "sqlite-writer")
            self._writer = _Writer(write_conn)
            self._records = _RecordBatcher(self._write)
            await write_conn.open()
            await write_conn.call(migrate, write_conn.conn, self._migrations_dir)
            self._writer.start()
            self._reader = _Connection(self.path, "sqlite-reader")
            await self._reader.open()
            await self._write(self._check_cipher)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.stop()
            self._writer = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    async def ping(self) -> None:
        if self._writer is None or not self._writer.alive:
            raise RuntimeError("the store's writer has stopped")
        await self._read("SELECT 1")

    def _check_cipher(self, conn: sqlite3.Connection) -> None:
        """Fail at start-up, with a clear ConfigError, when the secret key has changed."""
        row = conn.execute("SELECT value FROM meta WHERE key = 'cipher_check'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('cipher_check', ?)", (self._sealer.check_value(),))
        else:
            self._sealer.verify(row[0])

    # -- plumbing ------------------------------------------------------------------------------

    async def _write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        return await self._writer.write(op)

    async def _execute(self, sql: str, params: Any = ()) -> int:
        """One write statement in the next group commit; answer how many rows it changed."""
        return await self._write(lambda conn: conn.execute(sql, params).rowcount)

    async def _read(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        if self._reader is None:
            raise RuntimeError("the store is not open")
        conn = self._reader.conn
        return await self._reader.call(lambda: conn.execute(sql, params).fetchall())

    async def _read_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        rows = await self._read(sql, params)
        return rows[0] if rows else None

    # -- accounts ------------------------------------------------------------------------------

    async def put_account(self, account: SpecterAccount) -> None:
        row = (*self._sealer.account_row(account), time.time())
        await self._execute(
            "INSERT INTO accounts (id, data, secrets, callback_token_hash, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data, secrets = excluded.secrets,"
            " callback_token_hash = excluded.callback_token_hash, updated_at = excluded.updated_at",
            row,
        )

    def _account(self, row: sqlite3.Row) -> SpecterAccount:
        return self._sealer.account(row["data"], row["secrets"])

    async def get_account(self, account_id: str) -> SpecterAccount | None:
        row = await self._read_one("SELECT data, secrets FROM accounts WHERE id = ?", (account_id,))
        return self._account(row) if row else None

    async def account_by_callback_token(self, token: str) -> SpecterAccount | None:
        if not token:
            return None
        rows = await self._read("SELECT data, secrets FROM accounts WHERE callback_token_hash = ?",
                                (token_hash(token),))
        for row in rows:  # the hash found it; compare the token itself to be exact
            account = self._sealer.account_with_token(row["data"], row["secrets"], token)
            if account is not None:
                return account
        return None

    async def list_accounts(self) -> list[SpecterAccount]:
        return [self._account(row) for row in await self._read("SELECT data, secrets FROM accounts ORDER BY id")]

    async def remove_account(self, account_id: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            users = [r[0] for r in conn.execute("SELECT id FROM tenants WHERE account_id = ? ORDER BY id",
                                                (account_id,))]
            if users:
                raise ConfigError(f"Specter account {account_id!r} is still used by tenant(s): {', '.join(users)}")
            conn.execute("DELETE FROM batches WHERE account_id = ?", (account_id,))
            conn.execute("DELETE FROM events WHERE tenant_id IS NULL AND account_id = ?", (account_id,))
            return conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,)).rowcount > 0

        return await self._write(op)

    # -- tenants -------------------------------------------------------------------------------

    async def put_tenant(self, tenant: Tenant) -> None:
        row = (*self._sealer.tenant_row(tenant), time.time())

        def op(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM accounts WHERE id = ?", (tenant.account_id,)).fetchone() is None:
                raise ConfigError(f"tenant {tenant.id!r}: unknown Specter account {tenant.account_id!r}")
            conn.execute(
                "INSERT INTO tenants (id, account_id, data, settings, secrets, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, data = excluded.data,"
                " settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at",
                row,
            )

        await self._write(op)

    def _tenant(self, row: sqlite3.Row) -> Tenant:
        return self._sealer.tenant(TenantRow(row["id"], row["account_id"], row["data"], row["settings"],
                                             row["secrets"]))

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = await self._read_one("SELECT * FROM tenants WHERE id = ?", (tenant_id,))
        return self._tenant(row) if row else None

    async def list_tenants(self, account_id: str | None = None) -> list[Tenant]:
        if account_id is None:
            rows = await self._read("SELECT * FROM tenants ORDER BY id")
        else:
            rows = await self._read("SELECT * FROM tenants WHERE account_id = ? ORDER BY id", (account_id,))
        return [self._tenant(row) for row in rows]

    async def remove_tenant(self, tenant_id: str) -> bool:
        def op(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM events WHERE tenant_id = ?", (tenant_id,))
            return conn.execute("DELETE FROM tenants WHERE id = ?", (tenant_id,)).rowcount > 0

        return await self._write(op)

    # -- bindings --------------------------------------------------------------------------------

    async def put_bindings(self, bindings: list[Binding], *, columns: frozenset[str] = BINDING_COLUMNS) -> None:
        unknown = columns - BINDING_COLUMNS
        if unknown:
            raise ValueError(f"not a binding column that may change: {', '.join(sorted(unknown))}")
        sql = upsert_binding_sql(columns)
        now = time.time()
        rows = [msgspec.structs.astuple(msgspec.structs.replace(b, updated_at=b.updated_at or now)) for b in bindings]
        await self._write(lambda conn: conn.executemany(sql, rows).rowcount)

    async def update_binding(self, tenant_id: str, kind: BindingKind, shop_id: str, **columns: Any) -> bool:
        unknown = set(columns) - BINDING_COLUMNS
        if unknown or not columns:
            raise ValueError(f"not a binding column that may change: {', '.join(sorted(unknown)) or '(none)'}")
        values = {"updated_at": time.time(), **columns}
        changed = await self._execute(
            f"UPDATE bindings SET {', '.join(f'{c} = ?' for c in values)}"
            " WHERE tenant_id = ? AND kind = ? AND shop_id = ?",
            (*values.values(), tenant_id, kind, shop_id),
        )
        return changed > 0

    async def remove_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> bool:
        removed = await self._execute(
            "DELETE FROM bindings WHERE tenant_id = ? AND kind = ? AND shop_id = ?", (tenant_id, kind, shop_id)
        )
        return removed > 0

    async def begin_order(self, binding: Binding) -> Binding | None:
        """The check and the write are one op of the single writer, so they run in one
        ``BEGIN IMMEDIATE`` transaction: no other write (another tenant's job sending the same
        number) can come between the look for a holder and the claim. The index is deliberately
        not UNIQUE (see migration 0004), so this is where a second holder is refused."""
        sending = msgspec.structs.replace(binding, state="sending", updated_at=time.time())
        claim = upsert_binding_sql(frozenset({"state", "external_no", "to_specter_fp", "to_specter_at"}))

        def op(conn: sqlite3.Connection) -> Binding | None:
            holder = conn.execute(
                "SELECT * FROM bindings INDEXED BY bindings_external WHERE account_id = ? AND external_no = ?"
                " AND kind = 'order' AND external_no != '' AND NOT (tenant_id = ? AND shop_id = ?) LIMIT 1",
                (sending.account_id, sending.external_no, sending.tenant_id, sending.shop_id),
            ).fetchone()
            if holder is not None:
                return binding_from(holder)
            conn.execute(claim, msgspec.structs.astuple(sending))
            return None

        return await self._write(op)

    async def get_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> Binding | None:
        row = await self._read_one(
            "SELECT * FROM bindings WHERE tenant_id = ? AND kind = ? AND shop_id = ?", (tenant_id, kind, shop_id)
        )
        return binding_from(row) if row else None

    async def binding_by_specter_no(self, tenant_id: str, kind: BindingKind, specter_no: str) -> Binding | None:
        row = await self._read_one(
            "SELECT * FROM bindings INDEXED BY bindings_specter_no"
            " WHERE tenant_id = ? AND kind = ? AND specter_no = ? ORDER BY updated_at DESC",
            (tenant_id, kind, specter_no),
        )
        return binding_from(row) if row else None

    async def binding_by_specter_id(self, tenant_id: str, kind: BindingKind, specter_id: str) -> Binding | None:
        row = await self._read_one(
            "SELECT * FROM bindings INDEXED BY bindings_specter_id"
            " WHERE tenant_id = ? AND kind = ? AND specter_id = ? AND specter_id != '' ORDER BY updated_at DESC",
            (tenant_id, kind, specter_id),
        )
        return binding_from(row) if row else None

    async def order_binding_by_external(self, tenant_id: str, account_id: str, external_no: str) -> Binding | None:
        row = await self._read_one(
            "SELECT * FROM bindings INDEXED BY bindings_external WHERE account_id = ? AND external_no = ?"
            " AND kind = 'order' AND external_no != '' AND tenant_id = ? ORDER BY updated_at DESC",
            (account_id, external_no, tenant_id),
        )
        return binding_from(row) if row else None

    async def bindings_by_parent(self, tenant_id: str, kind: BindingKind, parent_shop_id: str) -> list[Binding]:
        """The bindings of a product's variants (a variable product deleted)."""
        rows = await self._read(
            "SELECT * FROM bindings INDEXED BY bindings_parent"
            " WHERE tenant_id = ? AND kind = ? AND parent_shop_id = ? AND parent_shop_id != ''",
            (tenant_id, kind, parent_shop_id),
        )
        return [binding_from(row) for row in rows]

    async def bindings_by_specter_nos(
        self, tenant_id: str, kind: BindingKind, specter_nos: list[str]
    ) -> dict[str, Binding]:
        """The bindings of many Specter numbers at once (a stock batch's articles). INDEXED BY:
        left to itself, SQLite scans the primary key's (tenant, kind) prefix instead."""
        found: dict[str, Binding] = {}
        for start in range(0, len(specter_nos), 500):
            chunk = specter_nos[start:start + 500]
            rows = await self._read(
                "SELECT * FROM bindings INDEXED BY bindings_specter_no"
                f" WHERE tenant_id = ? AND kind = ? AND specter_no IN ({', '.join('?' * len(chunk))})",
                (tenant_id, kind, *chunk),
            )
            for row in rows:
                found[row["specter_no"]] = binding_from(row)
        return found

    async def article_origins(self, account_id: str, article_nos: list[str]) -> dict[str, set[str]]:
        """One query per 500 numbers, from two indexes: the bindings' partial index on
        (account, article number) and the primary key of the articles read from Specter."""
        found: dict[str, set[str]] = {}
        for start in range(0, len(article_nos), 500):
            chunk = article_nos[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = await self._read(
                "SELECT specter_no, origin FROM bindings INDEXED BY bindings_article_origin"
                f" WHERE account_id = ? AND kind = 'article' AND origin != '' AND specter_no IN ({marks})"
                " UNION SELECT article_no, 'specter' FROM specter_articles"
                f" WHERE account_id = ? AND article_no IN ({marks})",
                (account_id, *chunk, account_id, *chunk),
            )
            for article_no, origin in rows:
                found.setdefault(article_no, set()).add(origin)
        return found

    # -- finding an order or an article, and its story ----------------------------------------

    async def put_search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str,
                               terms: list[tuple[TermField, str]]) -> None:
        # One row per term and field: "TS-1" and "ts-1" on two rows of an order are one term.
        unique = {(value.lower(), field): value for field, value in terms if value}
        rows = [(term, tenant_id, kind, shop_id, field, value) for (term, field), value in sorted(unique.items())]

        def op(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM search_terms WHERE tenant_id = ? AND kind = ? AND shop_id = ?",
                         (tenant_id, kind, shop_id))
            conn.executemany("INSERT INTO search_terms (term, tenant_id, kind, shop_id, field, value)"
                             " VALUES (?, ?, ?, ?, ?, ?)", rows)

        await self._write(op)

    async def search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str) -> list[tuple[TermField, str]]:
        rows = await self._read("SELECT field, value FROM search_terms INDEXED BY search_terms_object"
                                " WHERE tenant_id = ? AND kind = ? AND shop_id = ? ORDER BY field, value",
                                (tenant_id, kind, shop_id))
        return [(row[0], row[1]) for row in rows]

    async def search(self, text: str, tenant_ids: list[str], limit: int) -> list[SearchHit]:
        text = text.strip()
        if not text or not tenant_ids or limit < 1:
            return []
        term = text.lower()
        # Past every character that can follow the text: the range is "starts with".
        params = {"text": text, "term": term, "end": text + "\U0010ffff", "term_end": term + "\U0010ffff",
                  "tenants": encode(sorted(set(tenant_ids))).decode(), "limit": limit}
        rows = await self._read(search_sql(prefix=len(text) >= SEARCH_PREFIX_MIN), params)
        return [SearchHit(tenant_id=r[0], kind=r[1], id=r[2], field=r[3], value=r[4], exact=bool(r[5]))
                for r in rows]

    async def link_events(self, links: list[tuple[str, Literal["order", "article"], str, int]]) -> None:
        if links:
            await self._write(lambda conn: conn.executemany(
                "INSERT OR IGNORE INTO object_events (tenant_id, kind, shop_id, event_id) VALUES (?, ?, ?, ?)",
                links).rowcount)

    async def shop_object_events(self, tenant_id: str, kind: Literal["shop.order", "shop.product"],
                                 subjects: list[str], limit: int) -> list[Event]:
        """From the partial index events_shop_object: its WHERE names the kinds as literals, so
        the kind is written into the statement too (one of two known names, never input)."""
        if kind not in ("shop.order", "shop.product"):
            raise ValueError(f"not a shop object's event kind: {kind!r}")
        if not subjects:
            return []
        rows = await self._read(
            f"SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_shop_object WHERE kind = '{kind}'"
            f" AND tenant_id = ? AND subject IN ({', '.join('?' * len(subjects))}) ORDER BY id DESC LIMIT ?",
            (tenant_id, *subjects, limit))
        return [event_from(row) for row in reversed(rows)]

    async def linked_events(self, tenant_id: str, kind: Literal["order", "article"], shop_id: str,
                            limit: int) -> list[Event]:
        rows = await self._read(
            f"SELECT {', '.join('e.' + c.strip() for c in EVENT_COLUMNS.split(','))} FROM object_events AS o"
            " JOIN events AS e ON e.id = o.event_id WHERE o.tenant_id = ? AND o.kind = ? AND o.shop_id = ?"
            " ORDER BY o.event_id DESC LIMIT ?",
            (tenant_id, kind, shop_id, limit))
        return [event_from(row) for row in reversed(rows)]

    async def written_levels(self, tenant_id: str, article_nos: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        wanted = sorted(set(article_nos))
        for start in range(0, len(wanted), ARTICLES_PER_LOOKUP):
            chunk = wanted[start:start + ARTICLES_PER_LOOKUP]
            rows = await self._read(
                "SELECT article_no, available FROM stock_written WHERE tenant_id = ?"
                f" AND article_no IN ({', '.join('?' * len(chunk))})", (tenant_id, *chunk))
            found |= {row[0]: row[1] for row in rows}
        return found

    async def site_levels(self, account_id: str, article_no: str) -> list[SiteLevel]:
        rows = await self._read("SELECT site, available, updated_at FROM stock_levels"
                                " WHERE account_id = ? AND article_no = ? ORDER BY site", (account_id, article_no))
        return [SiteLevel(*row) for row in rows]

    async def kept_article(self, account_id: str, article_no: str) -> KeptArticle | None:
        row = await self._read_one("SELECT info, read_at FROM specter_articles WHERE account_id = ? AND article_no = ?",
                                   (account_id, article_no))
        if row is None:
            return None
        return KeptArticle(info=msgspec.json.decode(row[0], type=ArticleInfo), read_at=row[1])

    async def article_bindings(self, account_id: str, article_no: str) -> list[Binding]:
        # The NOCASE index narrows to the number in any case; the exact term keeps its own case.
        rows = await self._read(
            "SELECT * FROM bindings INDEXED BY bindings_number_search WHERE specter_no = ? COLLATE NOCASE"
            " AND specter_no != '' AND specter_no = ? AND account_id = ? AND kind = 'article'"
            " ORDER BY tenant_id, shop_id",
            (article_no, article_no, account_id))
        return [binding_from(row) for row in rows]

    # -- the poller's cursors --------------------------------------------------------------------

    async def get_cursor(self, tenant_id: str, name: str) -> Cursor | None:
        row = await self._read_one("SELECT last_look, first_look FROM shop_cursors WHERE tenant_id = ? AND name = ?",
                                   (tenant_id, name))
        return Cursor(last_look=row["last_look"], first_look=row["first_look"]) if row else None

    async def put_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> None:
        await self._execute(
            "INSERT INTO shop_cursors (tenant_id, name, last_look, first_look) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant_id, name) DO UPDATE SET last_look = excluded.last_look,"
            " first_look = excluded.first_look",
            (tenant_id, name, cursor.last_look, cursor.first_look),
        )

    async def start_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> Cursor:
        def op(conn: sqlite3.Connection) -> Cursor:
            conn.execute("INSERT INTO shop_cursors (tenant_id, name, last_look, first_look) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (tenant_id, name) DO NOTHING",
                         (tenant_id, name, cursor.last_look, cursor.first_look))
            row = conn.execute("SELECT last_look, first_look FROM shop_cursors WHERE tenant_id = ? AND name = ?",
                               (tenant_id, name)).fetchone()
            return Cursor(last_look=row[0], first_look=row[1])

        return await self._write(op)

    # -- webhook health ------------------------------------------------------------------------

    async def put_webhook_health(self, health: WebhookHealth) -> None:
        def op(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT repairs FROM webhook_health WHERE tenant_id = ?", (health.tenant_id,)).fetchone()
            kept = decode(row[0]) if row else []
            repairs = [*msgspec.to_builtins(health.repairs), *kept][:REPAIRS_KEPT]
            conn.execute(
                "INSERT INTO webhook_health (tenant_id, checked_at, url, shop_fingerprint, webhooks, repairs, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET checked_at = excluded.checked_at,"
                " url = excluded.url, shop_fingerprint = excluded.shop_fingerprint, webhooks = excluded.webhooks,"
                " repairs = excluded.repairs, error = excluded.error",
                (health.tenant_id, health.checked_at, health.url, health.shop_fingerprint,
                 encode(health.webhooks).decode(), encode(repairs).decode(), health.error))

        await self._write(op)

    async def get_webhook_health(self, tenant_id: str) -> WebhookHealth | None:
        row = await self._read_one("SELECT * FROM webhook_health WHERE tenant_id = ?", (tenant_id,))
        if row is None:
            return None
        return msgspec.convert({**dict(row), "webhooks": decode(row["webhooks"]), "repairs": decode(row["repairs"])},
                               WebhookHealth)

    # -- events --------------------------------------------------------------------------------

    async def record_events(self, events: list[NewEvent]) -> list[tuple[int, bool]]:
        now = time.time()
        rows: list[EventRow] = [event_row(e, now) for e in events]
        if not any(e.coalesce for e in events):
            return await self._records.add(rows)

        def op(conn: sqlite3.Connection) -> list[tuple[int, bool]]:
            recorded = []
            for row, event in zip(rows, events, strict=True):
                if event.coalesce:  # the same work already waiting to start: it will do this too
                    waiting = conn.execute(
                        "SELECT id FROM events WHERE scope = ? AND kind = ? AND subject = ? AND status = 'pending'"
                        " ORDER BY id LIMIT 1", (row[3], row[0], row[4])).fetchone()
                    if waiting is not None:
                        recorded.append((waiting[0], False))
                        continue
                recorded += _insert_events(conn, [row])
            return recorded

        return await self._write(op)

    async def get_event(self, event_id: int) -> Event | None:
        row = await self._read_one(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,))
        return event_from(row) if row else None

    async def claim_event(self, event_id: int, lease_seconds: float) -> Event | None | Literal["busy"]:
        now = time.time()
        params = {"id": event_id, "now": now, "lease": now + lease_seconds}

        def op(conn: sqlite3.Connection) -> Event | None | Literal["busy"]:
            row = conn.execute(
                "UPDATE events SET status = 'running', attempts = attempts + 1, revision = revision + 1,"
                " next_attempt_at = :lease, updated_at = :now"
                f" WHERE id = :id AND {DUE} AND NOT (subject != '' AND EXISTS ("
                "   SELECT 1 FROM events AS other WHERE other.scope = events.scope AND other.subject = events.subject"
                "   AND other.status = 'running' AND other.next_attempt_at > :now AND other.id != events.id))"
                f" RETURNING {EVENT_COLUMNS}",
                params,
            ).fetchone()
            if row is not None:
                return event_from(row)
            # Not claimed: due but refused for its subject, or not due at all.
            due = conn.execute(f"SELECT 1 FROM events WHERE id = :id AND {DUE}", params).fetchone()
            return "busy" if due else None

        return await self._write(op)

    async def finish_event(
        self, event_id: int, status: EventStatus, *, error: str | None = None, result: dict[str, Any] | None = None
    ) -> None:
        if status not in ("done", "skipped", "dead"):
            raise ValueError(f"an event finishes done, skipped or dead, not {status!r}")
        now = time.time()
        params = (status, error, None if result is None else encode(result).decode(), now, event_id)
        reason = result.get("reason") if result else None
        detail = error or (reason if isinstance(reason, str) else "")

        def op(conn: sqlite3.Connection) -> None:
            # Only a running event: a worker whose lease ran out must not overwrite a later outcome.
            _keep_attempt(conn, event_id, status, detail, now)
            conn.execute(
                "UPDATE events SET status = ?, last_error = ?, result = ?, revision = revision + 1, updated_at = ?"
                " WHERE id = ? AND status = 'running'",
                params,
            )

        await self._write(op)

    async def retry_event(self, event_id: int, next_attempt_at: float, error: str, *,
                          count_attempt: bool = True) -> None:
        give_back = 0 if count_attempt else 1
        now = time.time()
        params = (next_attempt_at, error, give_back, now, event_id)

        def op(conn: sqlite3.Connection) -> None:
            if count_attempt:
                _keep_attempt(conn, event_id, "retry", error, now)
            conn.execute(
                "UPDATE events SET status = 'retry', next_attempt_at = ?, last_error = ?,"
                " attempts = max(attempts - ?, 0), revision = revision + 1, updated_at = ?"
                " WHERE id = ? AND status = 'running'",
                params,
            )

        await self._write(op)

    async def event_attempts(self, event_ids: list[int]) -> dict[int, list[Attempt]]:
        found: dict[int, list[Attempt]] = {event_id: [] for event_id in event_ids}
        for start in range(0, len(event_ids), ARTICLES_PER_LOOKUP):
            chunk = event_ids[start:start + ARTICLES_PER_LOOKUP]
            rows = await self._read(
                "SELECT event_id, attempt, status, detail, at FROM event_attempts"
                f" WHERE event_id IN ({', '.join('?' * len(chunk))}) ORDER BY event_id, id", chunk)
            for row in rows:
                found[row["event_id"]].append(Attempt(**dict(row)))
        return found

    async def due_events(self, now: float, limit: int) -> list[tuple[int, int]]:
        rows = await self._read(f"SELECT id, revision FROM events WHERE {DUE} ORDER BY id LIMIT :limit",
                                {"now": now, "limit": limit})
        return [(row[0], row[1]) for row in rows]

    async def list_events(self, query: EventFilter) -> list[Event]:
        where, params = ["1"], []
        for column in ("tenant_id", "account_id", "kind", "status"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.before_id is not None:
            where.append("id < ?")
            params.append(query.before_id)
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        return [event_from(row) for row in await self._read(sql, (*params, query.limit))]

    async def count_events(self, tenant_id: str | None = None) -> dict[str, int]:
        if tenant_id is None:
            rows = await self._read("SELECT status, count(*) FROM events GROUP BY status")
        else:
            rows = await self._read("SELECT status, count(*) FROM events WHERE tenant_id = ? GROUP BY status",
                                    (tenant_id,))
        counts = dict.fromkeys(ALL_STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    async def latest_order_events(self, tenant_id: str, subjects: list[str]) -> dict[str, Event]:
        latest: dict[str, Event] = {}
        wanted = sorted(set(subjects))
        for start in range(0, len(wanted), ARTICLES_PER_LOOKUP):
            chunk = wanted[start:start + ARTICLES_PER_LOOKUP]
            # The kind written out, not bound: only so does SQLite use the partial index on it.
            rows = await self._read(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = ? AND kind = '{ORDER_EVENTS}'"
                f" AND subject IN ({', '.join('?' * len(chunk))}) ORDER BY id", (tenant_id, *chunk))
            latest |= {event.subject: event for event in map(event_from, rows)}  # the newest last, so it wins
        return latest

    async def requeue_events(self, event_ids: list[int] | None = None, *, tenant_id: str | None = None) -> list[int]:
        if event_ids is not None:
            if not event_ids:
                return []
            where = f"id IN ({', '.join('?' * len(event_ids))}) AND status IN ('dead', 'done', 'skipped')"
            params: list[Any] = list(event_ids)
            if tenant_id is not None:  # by id within one tenant (the admin API's tenant scope)
                where += " AND tenant_id = ?"
                params.append(tenant_id)
        elif tenant_id is not None:
            where, params = "tenant_id = ? AND status = 'dead'", [tenant_id]
        else:
            raise ValueError("requeue_events needs event ids or a tenant")
        now = time.time()

        def op(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                f"SELECT id, status, attempts, last_error, result, history FROM events WHERE {where} ORDER BY id",
                params,
            ).fetchall()
            for row in rows:
                history = [*decode(row["history"]), history_entry(now, row)]
                conn.execute(
                    "UPDATE events SET status = 'pending', attempts = 0, revision = revision + 1, next_attempt_at = ?,"
                    " last_error = NULL, result = NULL, history = ?, updated_at = ? WHERE id = ?",
                    (now, encode(history).decode(), now, row["id"]),
                )
            return [row["id"] for row in rows]

        return await self._write(op)

    async def event_history(self, event_id: int) -> list[dict[str, Any]]:
        """Earlier outcomes of an event that was transferred again, oldest first."""
        row = await self._read_one("SELECT history FROM events WHERE id = ?", (event_id,))
        return decode(row[0]) if row else []

    # -- Specter batches -----------------------------------------------------------------------

    async def put_batch(self, batch: Batch) -> None:
        row = (batch.account_id, batch.flow, batch.batch_no, batch.state, batch.created_at, batch.updated_at)
        await self._execute(
            "INSERT INTO batches (account_id, flow, batch_no, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (account_id, flow, batch_no)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            row,
        )

    async def open_batch(self, account_id: str, flow: str) -> Batch | None:
        row = await self._read_one(
            "SELECT * FROM batches WHERE account_id = ? AND flow = ? AND state != 'acknowledged'"
            " ORDER BY created_at, batch_no LIMIT 1",
            (account_id, flow),
        )
        return Batch(**dict(row)) if row else None


    # -- event progress --------------------------------------------------------------------------

    async def update_event_progress(self, event_id: int, progress: dict[str, Any]) -> None:
        # Not a status change: the revision (part of a queued job's id) stays as it is.
        await self._execute(
            "UPDATE events SET result = json_set(coalesce(result, '{}'), '$.progress', json(?)), updated_at = ?"
            " WHERE id = ? AND status = 'running'",
            (encode(progress).decode(), time.time(), event_id),
        )

    # -- admin console -------------------------------------------------------------------------

    async def put_admin_user(self, user: AdminUser) -> None:
        def op(conn: sqlite3.Connection) -> None:
            if user.tenant_id is not None and conn.execute(
                "SELECT 1 FROM tenants WHERE id = ?", (user.tenant_id,)
            ).fetchone() is None:
                raise ConfigError(f"unknown tenant {user.tenant_id!r}")
            conn.execute(
                "INSERT INTO admin_users (name, password_hash, tenant_id, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,"
                " tenant_id = excluded.tenant_id",
                (user.name, user.password_hash, user.tenant_id, user.created_at or time.time()),
            )

        await self._write(op)

    async def add_first_admin(self, user: AdminUser) -> bool:
        """One statement, in the single writer's transaction: two gateways starting at once on
        one new database make one first admin between them, never two."""
        return await self._execute(
            "INSERT INTO admin_users (name, password_hash, tenant_id, created_at) SELECT ?, ?, NULL, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM admin_users) AND NOT EXISTS (SELECT 1 FROM tenants)"
            " AND NOT EXISTS (SELECT 1 FROM accounts)",
            (user.name, user.password_hash, user.created_at or time.time()),
        ) > 0

    async def get_admin_user(self, name: str) -> AdminUser | None:
        row = await self._read_one("SELECT * FROM admin_users WHERE name = ?", (name,))
        return AdminUser(**dict(row)) if row else None

    async def list_admin_users(self) -> list[AdminUser]:
        return [AdminUser(**dict(row)) for row in await self._read("SELECT * FROM admin_users ORDER BY name")]

    async def remove_admin_user(self, name: str) -> bool:
        return await self._execute("DELETE FROM admin_users WHERE name = ?", (name,)) > 0

    async def put_admin_session(self, session: AdminSession) -> None:
        await self._execute(
            "INSERT INTO admin_sessions (token_hash, user_name, csrf_token, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (session.token_hash, session.user_name, session.csrf_token, session.created_at, session.expires_at),
        )

    async def get_admin_session(self, token_hash: str) -> AdminSession | None:
        row = await self._read_one("SELECT * FROM admin_sessions WHERE token_hash = ?", (token_hash,))
        return AdminSession(**dict(row)) if row else None

    async def remove_admin_session(self, token_hash: str) -> None:
        await self._execute(
            "DELETE FROM admin_sessions WHERE token_hash = ? OR expires_at <= ?", (token_hash, time.time())
        )

    async def put_connect_result(self, tenant_id: str, result: dict[str, Any]) -> None:
        await self._execute(
            "INSERT INTO tenant_connections (tenant_id, result, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (tenant_id) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at",
            (tenant_id, encode(result).decode(), time.time()),
        )

    async def get_connect_result(self, tenant_id: str) -> dict[str, Any] | None:
        row = await self._read_one("SELECT result FROM tenant_connections WHERE tenant_id = ?", (tenant_id,))
        return decode(row[0]) if row else None

    async def put_import_token(self, tenant_id: str, token_hash: str) -> None:
        await self._execute(
            "INSERT INTO import_tokens (tenant_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (tenant_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
            (tenant_id, token_hash, time.time()),
        )

    async def get_import_token(self, tenant_id: str) -> ImportToken | None:
        row = await self._read_one("SELECT token_hash, created_at FROM import_tokens WHERE tenant_id = ?", (tenant_id,))
        return ImportToken(**dict(row)) if row else None
    # -- leases ----------------------------------------------------------------------------------

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        now = time.time()
        rows = await self._write(lambda conn: conn.execute(TAKE_LEASE, (name, holder, now, now + seconds)).fetchall())
        return bool(rows)

    async def keep_leases(self, holder: str, names: list[str], claims: list[tuple[int, int]],
                          seconds: float) -> set[str]:
        until = time.time() + seconds

        def op(conn: sqlite3.Connection) -> set[str]:
            conn.executemany(
                "UPDATE events SET next_attempt_at = ? WHERE id = ? AND revision = ? AND status = 'running'",
                [(until, event_id, revision) for event_id, revision in claims])
            if not names:
                return set()
            kept = conn.execute(
                f"UPDATE leases SET expires_at = ? WHERE holder = ? AND name IN ({', '.join('?' * len(names))})"
                " RETURNING name", (until, holder, *names)).fetchall()
            return {row[0] for row in kept}

        return await self._write(op)

    async def release_lease(self, name: str, holder: str) -> None:
        await self._execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def list_leases(self) -> list[Lease]:
        rows = await self._read("SELECT name, holder, taken_at, expires_at FROM leases ORDER BY name")
        return [Lease(name=r[0], holder=r[1], taken_at=r[2], expires_at=r[3]) for r in rows]

    # -- stock, Specter to shop ----------------------------------------------------------------

    async def store_stock(self, account_id: str, levels: list[tuple[str, str, int]], tenant_ids: list[str],
                          batch: Batch) -> int:
        """Keep a batch's levels, (article number, site, available), as the latest, mark them
        pending for every tenant given, and the batch stored: one transaction, so acknowledging
        the batch afterwards loses nothing. Answers the version given to these levels."""
        now = time.time()

        def op(conn: sqlite3.Connection) -> int:
            version: int = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM stock_levels WHERE account_id = ?",
                                        (account_id,)).fetchone()[0]
            articles = sorted({article_no for article_no, _, _ in levels})
            # A batch reports an article's every site (or its total): it replaces what was kept.
            conn.executemany("DELETE FROM stock_levels WHERE account_id = ? AND article_no = ?",
                             [(account_id, a) for a in articles])
            conn.executemany(
                "INSERT INTO stock_levels (account_id, article_no, site, available, version, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(account_id, a, site, available, version, now) for a, site, available in levels],
            )
            for tenant_id in tenant_ids:
                conn.executemany(
                    "INSERT INTO stock_pending (tenant_id, article_no, version) VALUES (?, ?, ?)"
                    " ON CONFLICT (tenant_id, article_no) DO UPDATE SET version = excluded.version, waiting = 0",
                    [(tenant_id, a, version) for a in articles],
                )
            conn.execute(
                "INSERT INTO batches (account_id, flow, batch_no, state, created_at, updated_at)"
                " VALUES (?, ?, ?, 'stored', ?, ?)"
                " ON CONFLICT (account_id, flow, batch_no)"
                " DO UPDATE SET state = 'stored', updated_at = excluded.updated_at",
                (account_id, batch.flow, batch.batch_no, batch.created_at, now),
            )
            return version

        return await self._write(op)

    async def pending_stock(self, tenant_id: str, account_id: str, sites: list[str], limit: int,
                            after: str = "") -> list[PendingLevel]:
        """Up to ``limit`` levels the tenant has yet to receive, in article number order from
        after ``after``: the available quantity summed over its chosen stock sites (every site
        when ``sites`` is empty), with the level last written to its shop. None for an article
        kept only as a total without its sites (read before levels were kept per site) when
        sites are chosen: its level for those sites is unknown until Specter flags it again."""
        chosen = f"l.site IN ({', '.join('?' * len(sites))})" if sites else "1"
        rows = await self._read(
            f"SELECT p.article_no, SUM(CASE WHEN {chosen} THEN l.available ELSE 0 END),"
            " COUNT(l.site), COALESCE(MAX(l.site != ''), 0), p.version,"
            " (SELECT w.available FROM stock_written AS w WHERE w.tenant_id = p.tenant_id"
            " AND w.article_no = p.article_no) FROM stock_pending AS p"
            " LEFT JOIN stock_levels AS l ON l.account_id = ? AND l.article_no = p.article_no"
            " WHERE p.tenant_id = ? AND p.waiting = 0 AND p.article_no > ?"
            " GROUP BY p.article_no ORDER BY p.article_no LIMIT ?",
            (*sites, account_id, tenant_id, after, limit),
        )
        return [PendingLevel(no, None if sites and kept and not per_site else available or 0, version, written)
                for no, available, kept, per_site, version, written in rows]

    async def specter_levels(self, account_id: str, sites: list[str], article_nos: list[str]) -> dict[str, int]:
        """Specter's latest available quantity of these articles over the chosen sites (as
        :meth:`pending_stock` sums them), for comparing with what a shop shows."""
        chosen = f"site IN ({', '.join('?' * len(sites))})" if sites else "1"
        levels: dict[str, int] = {}
        wanted = sorted(set(article_nos))
        for start in range(0, len(wanted), ARTICLES_PER_LOOKUP):
            chunk = wanted[start:start + ARTICLES_PER_LOOKUP]
            rows = await self._read(
                f"SELECT article_no, SUM(CASE WHEN {chosen} THEN available ELSE 0 END), MAX(site != '')"
                f" FROM stock_levels WHERE account_id = ? AND article_no IN ({', '.join('?' * len(chunk))})"
                " GROUP BY article_no",
                (*sites, account_id, *chunk),
            )
            levels |= {no: available for no, available, per_site in rows if per_site or not sites}
        return levels

    async def clear_pending_stock(self, tenant_id: str, sent: list[tuple[str, int]]) -> None:
        """Forget what a tenant received, (article number, version): a newer level stays pending."""
        await self._write(lambda conn: conn.executemany(
            "DELETE FROM stock_pending WHERE tenant_id = ? AND article_no = ? AND version = ?",
            [(tenant_id, a, v) for a, v in sent]).rowcount)

    async def stock_written(self, tenant_id: str, written: list[tuple[str, int, int]]) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM stock_pending WHERE tenant_id = ? AND article_no = ? AND version = ?",
                             [(tenant_id, a, v) for a, v, _ in written])
            conn.executemany(
                "INSERT INTO stock_written (tenant_id, article_no, available) VALUES (?, ?, ?)"
                " ON CONFLICT (tenant_id, article_no) DO UPDATE SET available = excluded.available",
                [(tenant_id, a, available) for a, _, available in written])

        await self._write(op)

    async def park_stock(self, tenant_id: str, levels: list[tuple[str, int]]) -> None:
        """Keep levels, (article number, version), the shop does not have the product for: they
        wait for it instead of being sent on every push (a newer level is tried again). What was
        written to a product of that number before is forgotten: the one that appears gets its
        level whatever it is."""

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE stock_pending SET waiting = 1 WHERE tenant_id = ? AND article_no = ? AND version = ?",
                [(tenant_id, a, v) for a, v in levels])
            conn.executemany("DELETE FROM stock_written WHERE tenant_id = ? AND article_no = ?",
                             [(tenant_id, a) for a, _ in levels])

        await self._write(op)

    async def wake_stock(self, tenant_id: str, article_nos: list[str]) -> int:
        """The shop has these products now: their waiting levels are pending again. Answers how
        many were waiting."""
        return await self._write(lambda conn: conn.executemany(
            "UPDATE stock_pending SET waiting = 0 WHERE tenant_id = ? AND article_no = ? AND waiting = 1",
            [(tenant_id, a) for a in article_nos]).rowcount)

    async def has_waiting_stock(self, tenant_id: str) -> bool:
        # INDEXED BY: left to itself, SQLite walks the tenant's whole pending list by its key.
        row = await self._read_one("SELECT 1 FROM stock_pending INDEXED BY stock_pending_waiting"
                                   " WHERE tenant_id = ? AND waiting = 1 LIMIT 1", (tenant_id,))
        return row is not None

    async def resend_stock(self, tenant_id: str, account_id: str, article_nos: list[str]) -> int:
        """Mark the levels kept for these articles pending for one tenant (products it just
        created), forgetting what was written for them; answers how many the gateway has a level
        for."""
        sql = RESEND_STOCK.format(only=" AND article_no = ?")

        def op(conn: sqlite3.Connection) -> int:
            conn.executemany("DELETE FROM stock_written WHERE tenant_id = ? AND article_no = ?",
                             [(tenant_id, a) for a in article_nos])
            return conn.executemany(sql, [(tenant_id, account_id, a) for a in article_nos]).rowcount

        return await self._write(op)

    async def resend_all_stock(self, tenant_id: str, account_id: str) -> int:
        """Mark every level kept for the account pending for one tenant ("update stock now"),
        the waiting ones included, and forget every level written to its shop."""
        sql = RESEND_STOCK.format(only="")

        def op(conn: sqlite3.Connection) -> int:
            conn.execute("DELETE FROM stock_written WHERE tenant_id = ?", (tenant_id,))
            return conn.execute(sql, (tenant_id, account_id)).rowcount

        return await self._write(op)

    async def stock_on_the_way(self, tenant_id: str, article_nos: list[str]) -> set[str]:
        found: set[str] = set()
        wanted = sorted(set(article_nos))
        for start in range(0, len(wanted), ARTICLES_PER_LOOKUP):
            chunk = wanted[start:start + ARTICLES_PER_LOOKUP]
            rows = await self._read(
                "SELECT article_no FROM stock_pending WHERE tenant_id = ? AND waiting = 0"
                f" AND article_no IN ({', '.join('?' * len(chunk))})", (tenant_id, *chunk))
            found |= {row[0] for row in rows}
        return found

    async def stock_drifted(self, tenant_id: str, account_id: str, seen: list[tuple[str, int]]) -> int:
        """What the shop showed becomes "the level last written", so the push compares Specter's
        level with what the shop holds now rather than with what it was once given."""
        sql = RESEND_STOCK.format(only=" AND article_no = ?")

        def op(conn: sqlite3.Connection) -> int:
            conn.executemany(
                "INSERT INTO stock_written (tenant_id, article_no, available) VALUES (?, ?, ?)"
                " ON CONFLICT (tenant_id, article_no) DO UPDATE SET available = excluded.available",
                [(tenant_id, a, level) for a, level in seen])
            return conn.executemany(sql, [(tenant_id, account_id, a) for a, _ in seen]).rowcount

        return await self._write(op)

    # -- Specter's articles --------------------------------------------------------------------

    async def store_article_infos(self, account_id: str, infos: list[ArticleInfo]) -> None:
        """Keep the articles of a page read from Specter, replacing what was read before."""
        now = time.time()
        await self._write(lambda conn: conn.executemany(
            "INSERT INTO specter_articles (account_id, article_no, info, read_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (account_id, article_no) DO UPDATE SET info = excluded.info, read_at = excluded.read_at",
            [(account_id, i.article.article_no, msgspec.json.encode(i).decode(), now) for i in infos]).rowcount)

    async def specter_vat_rates(self, account_id: str) -> list[Decimal]:
        rows = await self._read(
            "SELECT DISTINCT json_extract(info, '$.article.vat_percent') FROM specter_articles"
            " WHERE account_id = ? AND json_extract(info, '$.article.vat_percent') IS NOT NULL", (account_id,))
        return sorted({Decimal(str(value)) for (value,) in rows})

    async def put_service_articles(self, account_id: str, article_nos: list[str], at: float) -> None:
        await self._write(lambda conn: conn.executemany(
            "INSERT INTO service_articles (account_id, article_no, ensured_at) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id, article_no) DO UPDATE SET ensured_at = excluded.ensured_at",
            [(account_id, no, at) for no in article_nos]).rowcount)

    async def service_articles(self, account_id: str) -> dict[str, float]:
        rows = await self._read("SELECT article_no, ensured_at FROM service_articles WHERE account_id = ?",
                                (account_id,))
        return {row["article_no"]: row["ensured_at"] for row in rows}

    async def specter_articles(self, account_id: str, after: str, limit: int) -> list[ArticleInfo]:
        """Up to ``limit`` kept articles of the account in article number order, after ``after``."""
        rows = await self._read(
            "SELECT info FROM specter_articles WHERE account_id = ? AND article_no > ? ORDER BY article_no LIMIT ?",
            (account_id, after, limit))
        return [msgspec.json.decode(row[0], type=ArticleInfo) for row in rows]

    async def specter_articles_by_no(self, account_id: str, article_nos: list[str]) -> dict[str, ArticleInfo]:
        found: dict[str, ArticleInfo] = {}
        wanted = sorted(set(article_nos))
        for start in range(0, len(wanted), ARTICLES_PER_LOOKUP):
            chunk = wanted[start:start + ARTICLES_PER_LOOKUP]
            rows = await self._read(
                "SELECT article_no, info FROM specter_articles WHERE account_id = ?"
                f" AND article_no IN ({', '.join('?' * len(chunk))})", (account_id, *chunk))
            found |= {row[0]: msgspec.json.decode(row[1], type=ArticleInfo) for row in rows}
        return found

    # -- reconciliations -----------------------------------------------------------------------

    async def put_reconciliation(self, report: Reconciliation) -> None:
        await self._execute(
            "INSERT INTO reconciliations (tenant_id, event_id, finished_at, report) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant_id) DO UPDATE SET event_id = excluded.event_id,"
            " finished_at = excluded.finished_at, report = excluded.report",
            (report.tenant_id, report.event_id, report.finished_at, encode(report).decode()))

    async def get_reconciliation(self, tenant_id: str) -> Reconciliation | None:
        row = await self._read_one("SELECT report FROM reconciliations WHERE tenant_id = ?", (tenant_id,))
        return msgspec.json.decode(row[0], type=Reconciliation) if row else None


# -- rows --------------------------------------------------------------------------------------


def _keep_attempt(conn: sqlite3.Connection, event_id: int, status: str, detail: str, at: float) -> None:
    """Keep the run of a running event that ends now (none when the event is not running: a
    worker whose lease ran out ended nothing)."""
    conn.execute("INSERT INTO event_attempts (event_id, attempt, status, detail, at)"
                 " SELECT id, attempts, ?, ?, ? FROM events WHERE id = ? AND status = 'running'",
                 (status, detail, at, event_id))


# -- connections -------------------------------------------------------------------------------


class _Connection:
    """A sqlite3 connection and the one thread allowed to use it."""

    def __init__(self, path: Path, name: str):
        self._path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the store is not open")
        return self._conn

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def open(self) -> None:
        self._conn = await self.call(_connect, self._path)

    async def close(self) -> None:
        if self._conn is not None:
            await self.call(self._conn.close)
        self._executor.shutdown(wait=False)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; the writer says BEGIN IMMEDIATE itself.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _wal(conn)
    # FULL: each commit reaches the disk before it returns (NORMAL would lose the last commits
    # on a power cut); group commit keeps that to one fsync per group of writes.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _wal(conn: sqlite3.Connection) -> None:
    """Switch a new database to WAL. Several processes opening a new file at once (a web process
    and its workers starting together) contend for the switch, and SQLite answers "database is
    locked" at once instead of waiting its busy timeout for it: try again until that timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


EVENT_COLUMNS_IN = ("id, kind, tenant_id, account_id, scope, subject, idempotency_key, payload, status,"
                    " next_attempt_at, created_at, updated_at")
ROWS_PER_INSERT = 500  # 12 values a row, well under SQLite's 32,766 variables


def _insert_events(conn: sqlite3.Connection, rows: list[EventRow]) -> list[tuple[int, bool]]:
    """Insert event rows with one multi-row INSERT per 500, answering (id, created) per row: an
    idempotency key recorded before answers the first event's id.

    Ids are given here rather than by SQLite, so that one statement can insert many rows and
    still say which id is whose (inside BEGIN IMMEDIATE nobody else writes). Every statement
    costs the writer thread a round trip for Python's GIL with the busy event loop, so a group
    of webhooks becomes a few statements instead of a few per webhook."""
    last: int = conn.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),"
        " COALESCE((SELECT MAX(id) FROM events), 0))"
    ).fetchone()[0]
    ids = list(range(last + 1, last + 1 + len(rows)))
    before = conn.total_changes
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"] * len(chunk))
        params = [v for event_id, row in zip(ids[start:], chunk, strict=False) for v in (event_id, *row)]
        conn.execute(f"INSERT INTO events ({EVENT_COLUMNS_IN}) VALUES {values} ON CONFLICT DO NOTHING", params)
    if conn.total_changes - before == len(rows):
        return [(event_id, True) for event_id in ids]
    # Some keys were recorded before (or twice in this batch): find which rows went in.
    inserted = {r[0] for r in conn.execute(
        "SELECT id FROM events WHERE id BETWEEN ? AND ?", (ids[0], ids[-1])).fetchall()}
    answers: list[tuple[int, bool]] = []
    for event_id, row in zip(ids, rows, strict=True):
        if event_id in inserted:
            answers.append((event_id, True))
        else:
            first = conn.execute("SELECT id FROM events WHERE scope = ? AND idempotency_key = ?", (row[3], row[5]))
            answers.append((first.fetchone()[0], False))
    return answers


# Event rows a caller records and the future that gets their (id, created) answers.
_Waiting = tuple[list[EventRow], "asyncio.Future[list[tuple[int, bool]]]"]


class _RecordBatcher:
    """Collects the events that many concurrent callers record and has the writer insert
    them together in its next group commit (see :func:`_insert_events`)."""

    def __init__(self, write: Callable[[Op], Awaitable[Any]]):
        self._write = write
        self._waiting: list[_Waiting] = []
        self._lock = threading.Lock()  # the writer thread takes what the event loop adds
        self._flush_queued = False
        # The event loop keeps only weak references to tasks: a flush nobody refers to could be
        # collected half-way, leaving its callers waiting for ever.
        self._flushes: set[asyncio.Task[None]] = set()

    async def add(self, rows: list[EventRow]) -> list[tuple[int, bool]]:
        future: asyncio.Future[list[tuple[int, bool]]] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.append((rows, future))
            start = not self._flush_queued
            self._flush_queued = True
        if start:
            flush = asyncio.create_task(self._flush(), name="sqlite-record-events")
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self) -> None:
        taken: list[_Waiting] = []

        def op(conn: sqlite3.Connection) -> list[tuple[int, bool]]:
            with self._lock:  # whatever arrived until the writer got here goes in too
                taken.extend(self._waiting)
                self._waiting.clear()
                self._flush_queued = False
            return _insert_events(conn, [row for rows, _ in taken for row in rows])

        try:
            answers: list[tuple[int, bool]] = await self._write(op)
        except Exception as exc:  # noqa: BLE001 - every caller of this batch gets the failure
            for _, future in taken:
                if not future.done():
                    future.set_exception(exc)
            return
        for rows, future in taken:
            mine, answers = answers[:len(rows)], answers[len(rows):]
            if not future.done():
                future.set_result(mine)


class _Writer:
    """The single writer: group-commits queued write operations on the write connection."""

    def __init__(self, connection: _Connection):
        self._connection = connection
        self._queue: asyncio.Queue[tuple[Op, asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqlite-writer")

    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        if not self.alive:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((op, future))
        return await future

    async def stop(self) -> None:
        """Finish the writes queued so far, then close the connection."""
        if self._task is not None and not self._task.done():
            self._queue.put_nowait(None)
            await asyncio.shield(self._task)
        await self._connection.close()

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < MAX_GROUP:
                group.append(self._queue.get_nowait())
            writes = [item for item in group if item is not None]
            if writes:
                outcomes = await self._connection.call(_commit_group, self._connection.conn, [op for op, _ in writes])
                for (_, future), (ok, value) in zip(writes, outcomes, strict=True):
                    if future.done():  # its caller was cancelled; the write stands
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
            if len(writes) < len(group):
                return  # stop() asked


def _commit_group(conn: sqlite3.Connection, ops: list[Op]) -> list[tuple[bool, Any]]:
    """Run ``ops`` in one transaction, each in a savepoint; answer (ok, result or exception)
    per op. When the transaction itself fails, every op fails with that error."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[tuple[bool, Any]] = []
        for op in ops:
            conn.execute("SAVEPOINT write")
            try:
                outcomes.append((True, op(conn)))
            except Exception as exc:
                conn.execute("ROLLBACK TO write")
                outcomes.append((False, exc))
            conn.execute("RELEASE write")
        conn.execute("COMMIT")
        return outcomes
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return [(False, exc)] * len(ops)
