"""The PostgreSQL store: one database that any number of gateway nodes share (asyncpg, a pool).

It keeps what :mod:`gateway.store.sqlite` keeps, with the same rules, but where SQLite's single
writer made a read-then-write safe by itself, several nodes write here at once. Each such place
says how it stays correct: a sequence for ids, a row lock (``FOR UPDATE``, or the lock an
``INSERT … ON CONFLICT`` takes), or a transaction-level advisory lock on what must not be done
twice at once (an event subject, an externalOrderNo, an account's stock). Statements run in
PostgreSQL's default READ COMMITTED isolation: each statement sees what was committed before it
began, so a statement issued after taking a lock sees everything its previous holder wrote.

Durable means on disk here too: PostgreSQL's defaults (``fsync`` and ``synchronous_commit`` on)
flush the WAL before a commit returns; the store relies on them and changes neither.

Removing a tenant deletes its bindings, cursors, webhook health and the rest by their foreign
keys, and its events; removing an account deletes its batches and its account-level events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import asyncpg
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
from gateway.store.factory import safe_url
from gateway.store.migrate import POSTGRES_MIGRATIONS_DIR, migrate_postgres
from gateway.store.postgres_alerts import AlertsSQL
from gateway.store.postgres_rules import RulesSQL
from gateway.store.rows import (
    ALL_STATUSES,
    BATCH_COLUMNS,
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

if TYPE_CHECKING:  # pragma: no cover
    from asyncpg.pool import PoolConnectionProxy

T = TypeVar("T")
Conn: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"  # a connection taken from the pool for one operation

# Namespaces of transaction-level advisory locks, pg_advisory_xact_lock(namespace, hash): a hash
# collision between two keys only makes them wait for each other, never decides anything.
LOCK_SUBJECT = 1  # one event subject (scope and subject): claims, coalescing hints
LOCK_ORDER_NO = 2  # one externalOrderNo on one Specter account
LOCK_STOCK = 3  # one account's stock levels and their versions
# 4: the migrations (gateway.store.migrate), 5: a tenant's alerts of one cause (postgres_alerts)
LOCK_SEARCH_TERMS = 6  # one object's search terms
LOCK_FIRST_ADMIN = 7  # the first console user of a new database
# 8: one tenant's rule set (postgres_rules)

DUE = "status IN ('pending', 'retry', 'running') AND next_attempt_at <= $2"
PING_TIMEOUT = 5.0  # seconds
COMMAND_TIMEOUT = 60.0  # seconds; a statement that takes longer fails instead of hanging a job


def upsert_binding_sql(columns: frozenset[str]) -> str:
    """Insert a binding, or change only ``columns`` of the one that exists (and its updated_at)."""
    changes = ", ".join(f"{c} = excluded.{c}" for c in sorted(columns | {"updated_at"}))
    values = ", ".join(f"${n}" for n in range(1, len(BINDING_FIELDS) + 1))
    return (f"INSERT INTO bindings ({', '.join(BINDING_FIELDS)}) VALUES ({values})"
            f" ON CONFLICT (tenant_id, kind, shop_id) DO UPDATE SET {changes}")


# Make the latest level kept for articles of the account pending for one tenant again (no
# longer waiting for its product); {only} narrows it to some articles ($3).
RESEND_STOCK = (
    "INSERT INTO stock_pending (tenant_id, article_no, version)"
    " SELECT $1, article_no, MAX(version) FROM stock_levels WHERE account_id = $2{only} GROUP BY article_no"
    " ON CONFLICT (tenant_id, article_no) DO UPDATE SET version = excluded.version, waiting = false"
)
TAKE_LEASE = (
    "INSERT INTO leases (name, holder, taken_at, expires_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at,"
    " taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END,"
    " holder = excluded.holder"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.taken_at"
    " RETURNING holder"
)
ORDER_EVENTS = "shop.order"  # the kind the index events_order_subject (migration 0012) covers
# Past every character that can follow a text: values from the text up to it start with the text.
LAST_CHAR = "chr(1114111)"


def search_sql(*, prefix: bool) -> str:
    """The search: one statement of four index searches ($1 the text, $2 it lower-cased in
    Python as the terms are kept, $3 the tenants, $4 the limit): the search terms by their key,
    Specter's numbers through the lower(number) indexes of migration 0009, each matching the
    whole value or, with ``prefix``, the range of values that start with it."""

    def match(column: str, value: str) -> str:
        if prefix:
            return f"{column} >= {value} AND {column} < {value} || {LAST_CHAR}"
        return f"{column} = {value}"

    text = '(lower($1::text) COLLATE "C")'

    def low(column: str) -> str:
        return f'(lower({column}) COLLATE "C")'

    return (
        "SELECT * FROM ("
        "SELECT tenant_id, kind, shop_id AS id, field, value, term = $2 AS exact"
        f" FROM search_terms WHERE {match('term', '$2::text')} AND tenant_id = ANY($3::text[])"
        " UNION ALL"
        " SELECT tenant_id, kind, CASE kind WHEN 'order' THEN shop_id ELSE specter_no END,"
        " CASE kind WHEN 'order' THEN 'specter_no' ELSE 'article_no' END, specter_no,"
        f" {low('specter_no')} = {text}"
        f" FROM bindings WHERE {match(low('specter_no'), text)}"
        " AND specter_no != '' AND kind IN ('order', 'article') AND tenant_id = ANY($3::text[])"
        " UNION ALL"
        f" SELECT tenant_id, kind, shop_id, 'external_no', external_no, {low('external_no')} = {text}"
        f" FROM bindings WHERE {match(low('external_no'), text)}"
        " AND external_no != '' AND kind = 'order' AND tenant_id = ANY($3::text[])"
        " UNION ALL"
        f" SELECT t.id, 'article', a.article_no, 'article_no', a.article_no, {low('a.article_no')} = {text}"
        " FROM specter_articles AS a JOIN tenants AS t ON t.account_id = a.account_id"
        f" WHERE {match(low('a.article_no'), text)} AND t.id = ANY($3::text[])"
        ') AS hits ORDER BY exact DESC, tenant_id COLLATE "C", kind COLLATE "C", id COLLATE "C" LIMIT $4'
    )


# A site chosen for the sum ($1: the chosen sites; none chosen: every site).
CHOSEN_SITE = "(cardinality($1::text[]) = 0 OR {site} = ANY($1::text[]))"


def _count(status: str) -> int:
    """Rows a command changed, from its status ("UPDATE 3", "INSERT 0 2")."""
    return int(status.rsplit(" ", 1)[-1]) if status and status[-1].isdigit() else 0


class PostgresStore(AlertsSQL, RulesSQL):
    dialect = "postgresql"

    def __init__(self, url: str, cipher: Cipher, *, pool_size: int = 10,
                 migrations_dir: Path | str = POSTGRES_MIGRATIONS_DIR):
        self.url = url
        self._sealer = Sealer(cipher)
        self._pool_size = pool_size
        self._migrations_dir = Path(migrations_dir)
        self._pool: asyncpg.Pool | None = None
        self._records = _RecordBatcher(self._insert_now)

    # -- life cycle ----------------------------------------------------------------------------

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self._pool_size,
                                                   command_timeout=COMMAND_TIMEOUT)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise ConfigError(f"cannot open the PostgreSQL database {safe_url(self.url)}: {exc}") from None
        try:
            async with self._pool.acquire() as conn:
                await migrate_postgres(conn, self._migrations_dir)
            await self._transaction(self._check_cipher)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def ping(self) -> None:
        async with asyncio.timeout(PING_TIMEOUT):  # an unreachable server fails /readyz, not hangs it
            await self._connected().fetchval("SELECT 1")

    async def _check_cipher(self, conn: Conn) -> None:
        """Fail at start-up, with a clear ConfigError, when the secret key has changed. The first
        node to start writes the check; ON CONFLICT lets two first starts agree on one."""
        await conn.execute("INSERT INTO meta (key, value) VALUES ('cipher_check', $1) ON CONFLICT (key) DO NOTHING",
                           self._sealer.check_value())
        self._sealer.verify(await conn.fetchval("SELECT value FROM meta WHERE key = 'cipher_check'"))

    # -- plumbing ------------------------------------------------------------------------------

    def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        return self._pool

    async def _transaction(self, op: Callable[[Conn], Awaitable[T]]) -> T:
        async with self._connected().acquire() as conn, conn.transaction():
            return await op(conn)

    async def _execute(self, sql: str, *args: Any) -> int:
        """One statement in a transaction of its own; answer how many rows it changed."""
        return _count(await self._connected().execute(sql, *args))

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self._connected().fetch(sql, *args)

    async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        return await self._connected().fetchrow(sql, *args)

    async def _insert_now(self, rows: list[EventRow]) -> list[tuple[int, bool]]:
        async with self._connected().acquire() as conn:  # one statement: its own transaction
            return await _insert_events(conn, rows)

    # -- accounts ------------------------------------------------------------------------------

    async def put_account(self, account: SpecterAccount) -> None:
        await self._execute(
            "INSERT INTO accounts (id, data, secrets, callback_token_hash, updated_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data, secrets = excluded.secrets,"
            " callback_token_hash = excluded.callback_token_hash, updated_at = excluded.updated_at",
            *self._sealer.account_row(account), time.time(),
        )

    async def get_account(self, account_id: str) -> SpecterAccount | None:
        row = await self._fetchrow("SELECT data, secrets FROM accounts WHERE id = $1", account_id)
        return self._sealer.account(row["data"], row["secrets"]) if row else None

    async def account_by_callback_token(self, token: str) -> SpecterAccount | None:
        if not token:
            return None
        for row in await self._fetch("SELECT data, secrets FROM accounts WHERE callback_token_hash = $1",
                                     token_hash(token)):
            account = self._sealer.account_with_token(row["data"], row["secrets"], token)
            if account is not None:
                return account
        return None

    async def list_accounts(self) -> list[SpecterAccount]:
        rows = await self._fetch("SELECT data, secrets FROM accounts ORDER BY id")
        return [self._sealer.account(row["data"], row["secrets"]) for row in rows]

    async def remove_account(self, account_id: str) -> bool:
        """The account's row is locked first (FOR UPDATE): a tenant added to it meanwhile waits
        for its foreign key check and then finds the account gone (and is refused), so no
        tenant is left on a removed account."""

        async def op(conn: Conn) -> bool:
            if await conn.fetchrow("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id) is None:
                return False
            users = [r[0] for r in await conn.fetch("SELECT id FROM tenants WHERE account_id = $1 ORDER BY id",
                                                    account_id)]
            if users:
                raise ConfigError(f"Specter account {account_id!r} is still used by tenant(s): {', '.join(users)}")
            await conn.execute("DELETE FROM batches WHERE account_id = $1", account_id)
            await conn.execute("DELETE FROM events WHERE tenant_id IS NULL AND account_id = $1", account_id)
            return _count(await conn.execute("DELETE FROM accounts WHERE id = $1", account_id)) > 0

        return await self._transaction(op)

    # -- tenants -------------------------------------------------------------------------------

    async def put_tenant(self, tenant: Tenant) -> None:
        """FOR KEY SHARE keeps the account from being removed until this commits."""
        row = self._sealer.tenant_row(tenant)

        async def op(conn: Conn) -> None:
            if await conn.fetchrow("SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE", tenant.account_id) is None:
                raise ConfigError(f"tenant {tenant.id!r}: unknown Specter account {tenant.account_id!r}")
            await conn.execute(
                "INSERT INTO tenants (id, account_id, data, settings, secrets, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, data = excluded.data,"
                " settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at",
                *row, time.time(),
            )

        await self._transaction(op)

    def _tenant(self, row: asyncpg.Record) -> Tenant:
        return self._sealer.tenant(TenantRow(row["id"], row["account_id"], row["data"], row["settings"],
                                             row["secrets"]))

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = await self._fetchrow("SELECT * FROM tenants WHERE id = $1", tenant_id)
        return self._tenant(row) if row else None

    async def list_tenants(self, account_id: str | None = None) -> list[Tenant]:
        if account_id is None:
            rows = await self._fetch("SELECT * FROM tenants ORDER BY id")
        else:
            rows = await self._fetch("SELECT * FROM tenants WHERE account_id = $1 ORDER BY id", account_id)
        return [self._tenant(row) for row in rows]

    async def remove_tenant(self, tenant_id: str) -> bool:
        async def op(conn: Conn) -> bool:
            await conn.execute("DELETE FROM events WHERE tenant_id = $1", tenant_id)
            return _count(await conn.execute("DELETE FROM tenants WHERE id = $1", tenant_id)) > 0

        return await self._transaction(op)

    # -- bindings ------------------------------------------------------------------------------

    async def put_bindings(self, bindings: list[Binding], *, columns: frozenset[str] = BINDING_COLUMNS) -> None:
        """One upsert per binding, pipelined in one transaction: a multi-row upsert would fail
        when one call names the same binding twice."""
        unknown = columns - BINDING_COLUMNS
        if unknown:
            raise ValueError(f"not a binding column that may change: {', '.join(sorted(unknown))}")
        if not bindings:
            return
        sql = upsert_binding_sql(columns)
        now = time.time()
        rows = [msgspec.structs.astuple(msgspec.structs.replace(b, updated_at=b.updated_at or now)) for b in bindings]

        async def op(conn: Conn) -> None:
            await conn.executemany(sql, rows)

        await self._transaction(op)

    async def update_binding(self, tenant_id: str, kind: BindingKind, shop_id: str, **columns: Any) -> bool:
        unknown = set(columns) - BINDING_COLUMNS
        if unknown or not columns:
            raise ValueError(f"not a binding column that may change: {', '.join(sorted(unknown)) or '(none)'}")
        values = {"updated_at": time.time(), **columns}
        sets = ", ".join(f"{c} = ${n}" for n, c in enumerate(values, start=4))
        changed = await self._execute(
            f"UPDATE bindings SET {sets} WHERE tenant_id = $1 AND kind = $2 AND shop_id = $3",
            tenant_id, kind, shop_id, *values.values(),
        )
        return changed > 0

    async def remove_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> bool:
        removed = await self._execute("DELETE FROM bindings WHERE tenant_id = $1 AND kind = $2 AND shop_id = $3",
                                      tenant_id, kind, shop_id)
        return removed > 0

    async def begin_order(self, binding: Binding) -> Binding | None:
        """The look for another holder of the externalOrderNo and the claim are one transaction
        under an advisory lock on (account, number): two nodes sending the same number for two
        shops at once take turns, and the second finds the first's claim (its statements begin
        after the first committed). No unique index does this, as in SQLite: pairs bound before
        prefixes were enforced must not make the schema fail."""
        sending = msgspec.structs.replace(binding, state="sending", updated_at=time.time())
        claim = upsert_binding_sql(frozenset({"state", "external_no", "to_specter_fp", "to_specter_at"}))

        async def op(conn: Conn) -> Binding | None:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || $3))", LOCK_ORDER_NO,
                               sending.account_id, sending.external_no)
            holder = await conn.fetchrow(
                "SELECT * FROM bindings WHERE account_id = $1 AND external_no = $2 AND kind = 'order'"
                " AND external_no != '' AND NOT (tenant_id = $3 AND shop_id = $4) LIMIT 1",
                sending.account_id, sending.external_no, sending.tenant_id, sending.shop_id,
            )
            if holder is not None:
                return binding_from(holder)
            await conn.execute(claim, *msgspec.structs.astuple(sending))
            return None

        return await self._transaction(op)

    async def get_binding(self, tenant_id: str, kind: BindingKind, shop_id: str) -> Binding | None:
        row = await self._fetchrow("SELECT * FROM bindings WHERE tenant_id = $1 AND kind = $2 AND shop_id = $3",
                                   tenant_id, kind, shop_id)
        return binding_from(row) if row else None

    async def binding_by_specter_no(self, tenant_id: str, kind: BindingKind, specter_no: str) -> Binding | None:
        row = await self._fetchrow(
            "SELECT * FROM bindings WHERE tenant_id = $1 AND kind = $2 AND specter_no = $3"
            " ORDER BY updated_at DESC LIMIT 1", tenant_id, kind, specter_no)
        return binding_from(row) if row else None

    async def binding_by_specter_id(self, tenant_id: str, kind: BindingKind, specter_id: str) -> Binding | None:
        row = await self._fetchrow(
            "SELECT * FROM bindings WHERE tenant_id = $1 AND kind = $2 AND specter_id = $3 AND specter_id != ''"
            " ORDER BY updated_at DESC LIMIT 1", tenant_id, kind, specter_id)
        return binding_from(row) if row else None

    async def order_binding_by_external(self, tenant_id: str, account_id: str, external_no: str) -> Binding | None:
        row = await self._fetchrow(
            "SELECT * FROM bindings WHERE account_id = $1 AND external_no = $2 AND kind = 'order'"
            " AND external_no != '' AND tenant_id = $3 ORDER BY updated_at DESC LIMIT 1",
            account_id, external_no, tenant_id)
        return binding_from(row) if row else None

    async def bindings_by_parent(self, tenant_id: str, kind: BindingKind, parent_shop_id: str) -> list[Binding]:
        rows = await self._fetch(
            "SELECT * FROM bindings WHERE tenant_id = $1 AND kind = $2 AND parent_shop_id = $3"
            " AND parent_shop_id != ''", tenant_id, kind, parent_shop_id)
        return [binding_from(row) for row in rows]

    async def bindings_by_specter_nos(
        self, tenant_id: str, kind: BindingKind, specter_nos: list[str]
    ) -> dict[str, Binding]:
        rows = await self._fetch(
            "SELECT * FROM bindings WHERE tenant_id = $1 AND kind = $2 AND specter_no = ANY($3::text[])",
            tenant_id, kind, specter_nos)
        return {row["specter_no"]: binding_from(row) for row in rows}

    async def article_origins(self, account_id: str, article_nos: list[str]) -> dict[str, set[str]]:
        rows = await self._fetch(
            "SELECT specter_no, origin FROM bindings WHERE account_id = $1 AND kind = 'article' AND origin != ''"
            " AND specter_no = ANY($2::text[])"
            " UNION SELECT article_no, 'specter' FROM specter_articles WHERE account_id = $1"
            " AND article_no = ANY($2::text[])",
            account_id, article_nos)
        found: dict[str, set[str]] = {}
        for article_no, origin in rows:
            found.setdefault(article_no, set()).add(origin)
        return found

    # -- finding an order or an article, and its story ----------------------------------------

    async def put_search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str,
                               terms: list[tuple[TermField, str]]) -> None:
        """Delete and insert under the object's advisory lock: two nodes handling one order at
        once replace its terms one after the other, never into a mix of both (nor into a
        duplicate key)."""
        unique = {(value.lower(), field): value for field, value in terms if value}
        rows = sorted(unique.items())

        async def op(conn: Conn) -> None:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || $3 || chr(31) || $4))",
                               LOCK_SEARCH_TERMS, tenant_id, kind, shop_id)
            await conn.execute("DELETE FROM search_terms WHERE tenant_id = $1 AND kind = $2 AND shop_id = $3",
                               tenant_id, kind, shop_id)
            await conn.execute(
                "INSERT INTO search_terms (term, tenant_id, kind, shop_id, field, value)"
                " SELECT t, $1, $2, $3, f, v FROM unnest($4::text[], $5::text[], $6::text[]) AS r(t, f, v)",
                tenant_id, kind, shop_id, [t for (t, _), _ in rows], [f for (_, f), _ in rows], [v for _, v in rows])

        await self._transaction(op)

    async def search_terms(self, tenant_id: str, kind: Literal["order"], shop_id: str) -> list[tuple[TermField, str]]:
        rows = await self._fetch("SELECT field, value FROM search_terms WHERE tenant_id = $1 AND kind = $2"
                                 " AND shop_id = $3 ORDER BY field, value", tenant_id, kind, shop_id)
        return [(row[0], row[1]) for row in rows]

    async def search(self, text: str, tenant_ids: list[str], limit: int) -> list[SearchHit]:
        text = text.strip()
        if not text or not tenant_ids or limit < 1:
            return []
        rows = await self._fetch(search_sql(prefix=len(text) >= SEARCH_PREFIX_MIN), text, text.lower(),
                                 sorted(set(tenant_ids)), limit)
        return [SearchHit(tenant_id=r[0], kind=r[1], id=r[2], field=r[3], value=r[4], exact=bool(r[5]))
                for r in rows]

    async def link_events(self, links: list[tuple[str, Literal["order", "article"], str, int]]) -> None:
        if links:
            columns = list(zip(*links, strict=True))
            await self._execute(
                "INSERT INTO object_events (tenant_id, kind, shop_id, event_id)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING",
                *columns)

    async def shop_object_events(self, tenant_id: str, kind: Literal["shop.order", "shop.product"],
                                 subjects: list[str], limit: int) -> list[Event]:
        """From the partial index events_shop_object: its WHERE names the kinds as literals, so
        the kind is written into the statement too (one of two known names, never input)."""
        if kind not in ("shop.order", "shop.product"):
            raise ValueError(f"not a shop object's event kind: {kind!r}")
        if not subjects:
            return []
        rows = await self._fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE kind = '{kind}' AND tenant_id = $1"
            " AND subject = ANY($2::text[]) ORDER BY id DESC LIMIT $3", tenant_id, subjects, limit)
        return [event_from(row) for row in reversed(rows)]

    async def linked_events(self, tenant_id: str, kind: Literal["order", "article"], shop_id: str,
                            limit: int) -> list[Event]:
        rows = await self._fetch(
            f"SELECT {', '.join('e.' + c.strip() for c in EVENT_COLUMNS.split(','))} FROM object_events AS o"
            " JOIN events AS e ON e.id = o.event_id WHERE o.tenant_id = $1 AND o.kind = $2 AND o.shop_id = $3"
            " ORDER BY o.event_id DESC LIMIT $4", tenant_id, kind, shop_id, limit)
        return [event_from(row) for row in reversed(rows)]

    async def written_levels(self, tenant_id: str, article_nos: list[str]) -> dict[str, int]:
        rows = await self._fetch("SELECT article_no, available FROM stock_written WHERE tenant_id = $1"
                                 " AND article_no = ANY($2::text[])", tenant_id, sorted(set(article_nos)))
        return {row[0]: row[1] for row in rows}

    async def site_levels(self, account_id: str, article_no: str) -> list[SiteLevel]:
        rows = await self._fetch('SELECT site, available, updated_at FROM stock_levels WHERE account_id = $1'
                                 ' AND article_no = $2 ORDER BY site COLLATE "C"', account_id, article_no)
        return [SiteLevel(*row) for row in rows]

    async def kept_article(self, account_id: str, article_no: str) -> KeptArticle | None:
        row = await self._fetchrow("SELECT info, read_at FROM specter_articles WHERE account_id = $1"
                                   " AND article_no = $2", account_id, article_no)
        if row is None:
            return None
        return KeptArticle(info=msgspec.json.decode(row[0], type=ArticleInfo), read_at=row[1])

    async def article_bindings(self, account_id: str, article_no: str) -> list[Binding]:
        # The lower(number) index narrows to the number in any case; the exact term keeps its own case.
        rows = await self._fetch(
            'SELECT * FROM bindings WHERE (lower(specter_no) COLLATE "C") = (lower($1::text) COLLATE "C")'
            " AND specter_no != '' AND specter_no = $1 AND account_id = $2 AND kind = 'article'"
            ' ORDER BY tenant_id COLLATE "C", shop_id COLLATE "C"', article_no, account_id)
        return [binding_from(row) for row in rows]

    # -- the poller's cursors ------------------------------------------------------------------

    async def get_cursor(self, tenant_id: str, name: str) -> Cursor | None:
        row = await self._fetchrow("SELECT last_look, first_look FROM shop_cursors WHERE tenant_id = $1 AND name = $2",
                                   tenant_id, name)
        return Cursor(last_look=row["last_look"], first_look=row["first_look"]) if row else None

    async def put_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> None:
        await self._execute(
            "INSERT INTO shop_cursors (tenant_id, name, last_look, first_look) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (tenant_id, name) DO UPDATE SET last_look = excluded.last_look,"
            " first_look = excluded.first_look",
            tenant_id, name, cursor.last_look, cursor.first_look,
        )

    async def start_cursor(self, tenant_id: str, name: str, cursor: Cursor) -> Cursor:
        """INSERT … ON CONFLICT DO NOTHING waits for a concurrent first start to commit, then does
        nothing; the SELECT after it (a new statement) sees whichever start won."""

        async def op(conn: Conn) -> Cursor:
            await conn.execute("INSERT INTO shop_cursors (tenant_id, name, last_look, first_look)"
                               " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, name) DO NOTHING",
                               tenant_id, name, cursor.last_look, cursor.first_look)
            row = await conn.fetchrow("SELECT last_look, first_look FROM shop_cursors WHERE tenant_id = $1"
                                      " AND name = $2", tenant_id, name)
            assert row is not None  # inserted, or there already
            return Cursor(last_look=row["last_look"], first_look=row["first_look"])

        return await self._transaction(op)

    # -- webhook health ------------------------------------------------------------------------

    async def put_webhook_health(self, health: WebhookHealth) -> None:
        """The row is made if missing, then locked (FOR UPDATE) while its repairs are read and
        written back: a concurrent check waits, then adds its repairs to these."""

        async def op(conn: Conn) -> None:
            await conn.execute("INSERT INTO webhook_health (tenant_id, checked_at) VALUES ($1, 0)"
                               " ON CONFLICT (tenant_id) DO NOTHING", health.tenant_id)
            kept = decode(await conn.fetchval("SELECT repairs FROM webhook_health WHERE tenant_id = $1 FOR UPDATE",
                                              health.tenant_id))
            repairs = [*msgspec.to_builtins(health.repairs), *kept][:REPAIRS_KEPT]
            await conn.execute(
                "UPDATE webhook_health SET checked_at = $2, url = $3, shop_fingerprint = $4, webhooks = $5,"
                " repairs = $6, error = $7 WHERE tenant_id = $1",
                health.tenant_id, health.checked_at, health.url, health.shop_fingerprint,
                encode(health.webhooks).decode(), encode(repairs).decode(), health.error)

        await self._transaction(op)

    async def get_webhook_health(self, tenant_id: str) -> WebhookHealth | None:
        row = await self._fetchrow("SELECT * FROM webhook_health WHERE tenant_id = $1", tenant_id)
        if row is None:
            return None
        return msgspec.convert({**dict(row), "webhooks": decode(row["webhooks"]), "repairs": decode(row["repairs"])},
                               WebhookHealth)

    # -- events --------------------------------------------------------------------------------

    async def record_events(self, events: list[NewEvent]) -> list[tuple[int, bool]]:
        """A coalescing hint takes the advisory lock of its subject before it looks for one
        waiting: two nodes recording the same hint at once record it once."""
        now = time.time()
        rows = [event_row(e, now) for e in events]
        if not any(e.coalesce for e in events):
            return await self._records.add(rows)

        async def op(conn: Conn) -> list[tuple[int, bool]]:
            recorded: list[tuple[int, bool]] = []
            for row, event in zip(rows, events, strict=True):
                if event.coalesce:  # the same work already waiting to start: it will do this too
                    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || $3))",
                                       LOCK_SUBJECT, row[3], row[4])
                    waiting = await conn.fetchval(
                        "SELECT id FROM events WHERE scope = $1 AND kind = $2 AND subject = $3 AND status = 'pending'"
                        " ORDER BY id LIMIT 1", row[3], row[0], row[4])
                    if waiting is not None:
                        recorded.append((waiting, False))
                        continue
                recorded += await _insert_events(conn, [row])
            return recorded

        return await self._transaction(op)

    async def get_event(self, event_id: int) -> Event | None:
        row = await self._fetchrow(f"SELECT {EVENT_COLUMNS} FROM events WHERE id = $1", event_id)
        return event_from(row) if row else None

    async def claim_event(self, event_id: int, lease_seconds: float) -> Event | None | Literal["busy"]:
        """Two jobs claiming events of one subject on two nodes at once must not both win. Each
        claim takes the subject's advisory lock (for the rest of its transaction) before its
        UPDATE looks for another running event of the subject; the second claimant waits for the
        first to commit, and its UPDATE, a new statement, then sees that event running and
        answers "busy". One event claimed twice at once is settled by its row lock: the second
        UPDATE waits, then finds the event running and not due. Events without a subject take
        no lock."""
        now = time.time()

        async def op(conn: Conn) -> Event | None | Literal["busy"]:
            await conn.execute("SELECT pg_advisory_xact_lock($2, hashtext(scope || chr(31) || subject))"
                               " FROM events WHERE id = $1 AND subject != ''", event_id, LOCK_SUBJECT)
            row = await conn.fetchrow(
                "UPDATE events SET status = 'running', attempts = attempts + 1, revision = revision + 1,"
                " next_attempt_at = $3, updated_at = $2"
                f" WHERE id = $1 AND {DUE} AND NOT (subject != '' AND EXISTS ("
                "   SELECT 1 FROM events AS other WHERE other.scope = events.scope AND other.subject = events.subject"
                "   AND other.status = 'running' AND other.next_attempt_at > $2 AND other.id != events.id))"
                f" RETURNING {EVENT_COLUMNS}",
                event_id, now, now + lease_seconds,
            )
            if row is not None:
                return event_from(row)
            # Not claimed: due but refused for its subject, or not due at all.
            due = await conn.fetchval(f"SELECT 1 FROM events WHERE id = $1 AND {DUE}", event_id, now)
            return "busy" if due else None

        return await self._transaction(op)

    async def finish_event(
        self, event_id: int, status: EventStatus, *, error: str | None = None, result: dict[str, Any] | None = None
    ) -> None:
        if status not in ("done", "skipped", "dead"):
            raise ValueError(f"an event finishes done, skipped or dead, not {status!r}")
        reason = result.get("reason") if result else None
        detail = error or (reason if isinstance(reason, str) else "")
        # Only a running event: a worker whose lease ran out must not overwrite a later outcome.
        # The run is kept from what the UPDATE changed, in the same statement (so only then).
        await self._execute(
            "WITH ended AS (UPDATE events SET status = $1, last_error = $2, result = $3, revision = revision + 1,"
            " updated_at = $4 WHERE id = $5 AND status = 'running' RETURNING id, attempts)"
            " INSERT INTO event_attempts (event_id, attempt, status, detail, at)"
            " SELECT id, attempts, $1, $6, $4 FROM ended",
            status, error, None if result is None else encode(result).decode(), time.time(), event_id, detail,
        )

    async def retry_event(self, event_id: int, next_attempt_at: float, error: str, *,
                          count_attempt: bool = True) -> None:
        """A counted retry keeps its run from what the UPDATE changed, in the same statement."""
        update = ("UPDATE events SET status = 'retry', next_attempt_at = $1, last_error = $2,"
                  " attempts = GREATEST(attempts - $3, 0), revision = revision + 1, updated_at = $4"
                  " WHERE id = $5 AND status = 'running'")
        if count_attempt:
            await self._execute(
                f"WITH ended AS ({update} RETURNING id, attempts) INSERT INTO event_attempts"
                " (event_id, attempt, status, detail, at) SELECT id, attempts, 'retry', $2, $4 FROM ended",
                next_attempt_at, error, 0, time.time(), event_id)
        else:
            await self._execute(update, next_attempt_at, error, 1, time.time(), event_id)

    async def event_attempts(self, event_ids: list[int]) -> dict[int, list[Attempt]]:
        found: dict[int, list[Attempt]] = {event_id: [] for event_id in event_ids}
        rows = await self._fetch("SELECT event_id, attempt, status, detail, at FROM event_attempts"
                                 " WHERE event_id = ANY($1::bigint[]) ORDER BY event_id, id", event_ids)
        for row in rows:
            found[row["event_id"]].append(Attempt(**dict(row)))
        return found

    async def latest_order_events(self, tenant_id: str, subjects: list[str]) -> dict[str, Event]:
        # The kind written out, not bound: only so can a generic plan use the partial index on it.
        rows = await self._fetch(
            f"SELECT DISTINCT ON (subject) {EVENT_COLUMNS} FROM events WHERE tenant_id = $1"
            f" AND kind = '{ORDER_EVENTS}' AND subject = ANY($2::text[]) ORDER BY subject, id DESC",
            tenant_id, sorted(set(subjects)))
        return {event.subject: event for event in map(event_from, rows)}

    async def due_events(self, now: float, limit: int) -> list[tuple[int, int]]:
        rows = await self._fetch(
            "SELECT id, revision FROM events WHERE status IN ('pending', 'retry', 'running') AND next_attempt_at <= $1"
            " ORDER BY id LIMIT $2", now, limit)
        return [(row[0], row[1]) for row in rows]

    async def list_events(self, query: EventFilter) -> list[Event]:
        where, params = ["true"], []
        for column in ("tenant_id", "account_id", "kind", "status"):
            value = getattr(query, column)
            if value is not None:
                params.append(value)
                where.append(f"{column} = ${len(params)}")
        if query.before_id is not None:
            params.append(query.before_id)
            where.append(f"id < ${len(params)}")
        params.append(query.limit)
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ${len(params)}"
        return [event_from(row) for row in await self._fetch(sql, *params)]

    async def count_events(self, tenant_id: str | None = None) -> dict[str, int]:
        if tenant_id is None:
            rows = await self._fetch("SELECT status, count(*) FROM events GROUP BY status")
        else:
            rows = await self._fetch("SELECT status, count(*) FROM events WHERE tenant_id = $1 GROUP BY status",
                                     tenant_id)
        counts = dict.fromkeys(ALL_STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    async def requeue_events(self, event_ids: list[int] | None = None, *, tenant_id: str | None = None) -> list[int]:
        """The events are locked (FOR UPDATE) while their history is read and written back."""
        if event_ids is not None:
            if not event_ids:
                return []
            where = "id = ANY($1::bigint[]) AND status IN ('dead', 'done', 'skipped')"
            params: list[Any] = [event_ids]
            if tenant_id is not None:  # by id within one tenant (the admin API's tenant scope)
                where += " AND tenant_id = $2"
                params.append(tenant_id)
        elif tenant_id is not None:
            where, params = "tenant_id = $1 AND status = 'dead'", [tenant_id]
        else:
            raise ValueError("requeue_events needs event ids or a tenant")
        now = time.time()

        async def op(conn: Conn) -> list[int]:
            rows = await conn.fetch(
                f"SELECT id, status, attempts, last_error, result, history FROM events WHERE {where}"
                " ORDER BY id FOR UPDATE", *params)
            await conn.executemany(
                "UPDATE events SET status = 'pending', attempts = 0, revision = revision + 1, next_attempt_at = $1,"
                " last_error = NULL, result = NULL, history = $2, updated_at = $1 WHERE id = $3",
                [(now, encode([*decode(row["history"]), history_entry(now, row)]).decode(), row["id"])
                 for row in rows])
            return [row["id"] for row in rows]

        return await self._transaction(op)

    async def event_history(self, event_id: int) -> list[dict[str, Any]]:
        history = await self._connected().fetchval("SELECT history FROM events WHERE id = $1", event_id)
        return decode(history) if history else []

    async def update_event_progress(self, event_id: int, progress: dict[str, Any]) -> None:
        # Not a status change: the revision (part of a queued job's id) stays as it is.
        await self._execute(
            "UPDATE events SET result = jsonb_set(COALESCE(result, '{}')::jsonb, '{progress}', $1::jsonb)::text,"
            " updated_at = $2 WHERE id = $3 AND status = 'running'",
            encode(progress).decode(), time.time(), event_id,
        )

    # -- Specter batches -----------------------------------------------------------------------

    async def put_batch(self, batch: Batch) -> None:
        await self._execute(
            f"INSERT INTO batches ({BATCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (account_id, flow, batch_no) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at",
            batch.account_id, batch.flow, batch.batch_no, batch.state, batch.created_at, batch.updated_at,
        )

    async def open_batch(self, account_id: str, flow: str) -> Batch | None:
        row = await self._fetchrow(
            f"SELECT {BATCH_COLUMNS} FROM batches WHERE account_id = $1 AND flow = $2 AND state != 'acknowledged'"
            " ORDER BY created_at, batch_no LIMIT 1", account_id, flow)
        return Batch(**dict(row)) if row else None

    # -- admin console -------------------------------------------------------------------------

    async def put_admin_user(self, user: AdminUser) -> None:
        async def op(conn: Conn) -> None:
            if user.tenant_id is not None and await conn.fetchrow(
                "SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE", user.tenant_id
            ) is None:
                raise ConfigError(f"unknown tenant {user.tenant_id!r}")
            await conn.execute(
                "INSERT INTO admin_users (name, password_hash, tenant_id, created_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,"
                " tenant_id = excluded.tenant_id",
                user.name, user.password_hash, user.tenant_id, user.created_at or time.time(),
            )

        await self._transaction(op)

    async def add_first_admin(self, user: AdminUser) -> bool:
        """Under an advisory lock: of two gateways starting at once on one new database, the
        second's look (a statement that begins after the first committed) finds the first's
        user, so they make one first admin between them, never two."""

        async def op(conn: Conn) -> bool:
            await conn.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCK_FIRST_ADMIN)
            return _count(await conn.execute(
                "INSERT INTO admin_users (name, password_hash, tenant_id, created_at) SELECT $1, $2, NULL, $3"
                " WHERE NOT EXISTS (SELECT 1 FROM admin_users) AND NOT EXISTS (SELECT 1 FROM tenants)"
                " AND NOT EXISTS (SELECT 1 FROM accounts)",
                user.name, user.password_hash, user.created_at or time.time())) > 0

        return await self._transaction(op)

    async def get_admin_user(self, name: str) -> AdminUser | None:
        row = await self._fetchrow("SELECT * FROM admin_users WHERE name = $1", name)
        return AdminUser(**dict(row)) if row else None

    async def list_admin_users(self) -> list[AdminUser]:
        return [AdminUser(**dict(row)) for row in await self._fetch("SELECT * FROM admin_users ORDER BY name")]

    async def remove_admin_user(self, name: str) -> bool:
        return await self._execute("DELETE FROM admin_users WHERE name = $1", name) > 0

    async def put_admin_session(self, session: AdminSession) -> None:
        await self._execute(
            "INSERT INTO admin_sessions (token_hash, user_name, csrf_token, created_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            session.token_hash, session.user_name, session.csrf_token, session.created_at, session.expires_at,
        )

    async def get_admin_session(self, token_hash: str) -> AdminSession | None:
        row = await self._fetchrow("SELECT * FROM admin_sessions WHERE token_hash = $1", token_hash)
        return AdminSession(**dict(row)) if row else None

    async def remove_admin_session(self, token_hash: str) -> None:
        await self._execute("DELETE FROM admin_sessions WHERE token_hash = $1 OR expires_at <= $2",
                            token_hash, time.time())

    async def put_connect_result(self, tenant_id: str, result: dict[str, Any]) -> None:
        await self._execute(
            "INSERT INTO tenant_connections (tenant_id, result, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (tenant_id) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at",
            tenant_id, encode(result).decode(), time.time(),
        )

    async def get_connect_result(self, tenant_id: str) -> dict[str, Any] | None:
        result = await self._connected().fetchval("SELECT result FROM tenant_connections WHERE tenant_id = $1",
                                                  tenant_id)
        return decode(result) if result else None

    async def put_import_token(self, tenant_id: str, token_hash: str) -> None:
        await self._execute(
            "INSERT INTO import_tokens (tenant_id, token_hash, created_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (tenant_id) DO UPDATE SET token_hash = excluded.token_hash,"
            " created_at = excluded.created_at",
            tenant_id, token_hash, time.time(),
        )

    async def get_import_token(self, tenant_id: str) -> ImportToken | None:
        row = await self._fetchrow("SELECT token_hash, created_at FROM import_tokens WHERE tenant_id = $1",
                                   tenant_id)
        return ImportToken(**dict(row)) if row else None

    # -- leases --------------------------------------------------------------------------------

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """One upsert: two nodes taking a free lease at once both try to insert; the second
        waits for the first to commit, then its ON CONFLICT finds the row held and changes
        nothing (its WHERE is false), so only one gets a row back."""
        now = time.time()
        return await self._connected().fetchval(TAKE_LEASE, name, holder, now, now + seconds) is not None

    async def keep_leases(self, holder: str, names: list[str], claims: list[tuple[int, int]],
                          seconds: float) -> set[str]:
        until = time.time() + seconds

        async def op(conn: Conn) -> set[str]:
            if claims:
                await conn.execute(
                    "UPDATE events SET next_attempt_at = $1 FROM unnest($2::bigint[], $3::int[]) AS c(id, revision)"
                    " WHERE events.id = c.id AND events.revision = c.revision AND events.status = 'running'",
                    until, [c[0] for c in claims], [c[1] for c in claims])
            if not names:
                return set()
            rows = await conn.fetch("UPDATE leases SET expires_at = $1 WHERE holder = $2 AND name = ANY($3::text[])"
                                    " RETURNING name", until, holder, names)
            return {row[0] for row in rows}

        return await self._transaction(op)

    async def release_lease(self, name: str, holder: str) -> None:
        await self._execute("DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)

    async def list_leases(self) -> list[Lease]:
        rows = await self._fetch("SELECT name, holder, taken_at, expires_at FROM leases ORDER BY name")
        return [Lease(**dict(row)) for row in rows]

    # -- stock, Specter to shop ----------------------------------------------------------------

    async def store_stock(self, account_id: str, levels: list[tuple[str, str, int]], tenant_ids: list[str],
                          batch: Batch) -> int:
        """Keep a batch's levels as the latest, mark them pending for every tenant given, and
        the batch stored, in one transaction. The version is the account's highest plus one,
        under the account's advisory lock: two pulls of one account storing at once (their
        events' subjects keep that from happening, but a lease can run out) take turns, and
        the second gets the next version."""
        now = time.time()
        articles = sorted({article_no for article_no, _, _ in levels})

        async def op(conn: Conn) -> int:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_STOCK, account_id)
            version: int = await conn.fetchval(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM stock_levels WHERE account_id = $1", account_id)
            # A batch reports an article's every site (or its total): it replaces what was kept.
            await conn.execute("DELETE FROM stock_levels WHERE account_id = $1 AND article_no = ANY($2::text[])",
                               account_id, articles)
            await conn.execute(
                "INSERT INTO stock_levels (account_id, article_no, site, available, version, updated_at)"
                " SELECT $1, a, s, n, $2, $3 FROM unnest($4::text[], $5::text[], $6::int[]) AS l(a, s, n)",
                account_id, version, now, [a for a, _, _ in levels], [s for _, s, _ in levels],
                [n for _, _, n in levels])
            await conn.execute(
                "INSERT INTO stock_pending (tenant_id, article_no, version)"
                " SELECT t, a, $3 FROM unnest($1::text[]) AS t CROSS JOIN unnest($2::text[]) AS a"
                " ON CONFLICT (tenant_id, article_no) DO UPDATE SET version = excluded.version, waiting = false",
                tenant_ids, articles, version)
            await conn.execute(
                f"INSERT INTO batches ({BATCH_COLUMNS}) VALUES ($1, $2, $3, 'stored', $4, $5)"
                " ON CONFLICT (account_id, flow, batch_no) DO UPDATE SET state = 'stored',"
                " updated_at = excluded.updated_at",
                account_id, batch.flow, batch.batch_no, batch.created_at, now)
            return version

        return await self._transaction(op)

    async def pending_stock(self, tenant_id: str, account_id: str, sites: list[str], limit: int,
                            after: str = "") -> list[PendingLevel]:
        """As :meth:`SQLiteStore.pending_stock <gateway.store.sqlite.SQLiteStore.pending_stock>`."""
        rows = await self._fetch(
            f"SELECT p.article_no, SUM(CASE WHEN {CHOSEN_SITE.format(site='l.site')} THEN l.available ELSE 0 END),"
            " COUNT(l.site), COALESCE(bool_or(l.site != ''), false), p.version,"
            " (SELECT w.available FROM stock_written AS w WHERE w.tenant_id = p.tenant_id"
            " AND w.article_no = p.article_no) FROM stock_pending AS p"
            " LEFT JOIN stock_levels AS l ON l.account_id = $2 AND l.article_no = p.article_no"
            " WHERE p.tenant_id = $3 AND NOT p.waiting AND p.article_no > $4"
            " GROUP BY p.tenant_id, p.article_no ORDER BY p.article_no LIMIT $5",
            sites, account_id, tenant_id, after, limit)
        return [PendingLevel(no, None if sites and kept and not per_site else available or 0, version, written)
                for no, available, kept, per_site, version, written in rows]

    async def specter_levels(self, account_id: str, sites: list[str], article_nos: list[str]) -> dict[str, int]:
        rows = await self._fetch(
            f"SELECT article_no, SUM(CASE WHEN {CHOSEN_SITE.format(site='site')} THEN available ELSE 0 END),"
            " bool_or(site != '') FROM stock_levels WHERE account_id = $2 AND article_no = ANY($3::text[])"
            " GROUP BY article_no",
            sites, account_id, sorted(set(article_nos)))
        return {no: available for no, available, per_site in rows if per_site or not sites}

    async def clear_pending_stock(self, tenant_id: str, sent: list[tuple[str, int]]) -> None:
        """Forget what a tenant received, (article number, version): a newer level stays pending."""
        await self._execute(
            "DELETE FROM stock_pending AS p USING unnest($2::text[], $3::bigint[]) AS s(a, v)"
            " WHERE p.tenant_id = $1 AND p.article_no = s.a AND p.version = s.v",
            tenant_id, [a for a, _ in sent], [v for _, v in sent])

    async def stock_written(self, tenant_id: str, written: list[tuple[str, int, int]]) -> None:
        last = {a: available for a, _, available in written}  # one row per article: the last wins

        async def op(conn: Conn) -> None:
            await conn.execute(
                "DELETE FROM stock_pending AS p USING unnest($2::text[], $3::bigint[]) AS s(a, v)"
                " WHERE p.tenant_id = $1 AND p.article_no = s.a AND p.version = s.v",
                tenant_id, [a for a, _, _ in written], [v for _, v, _ in written])
            await conn.execute(
                "INSERT INTO stock_written (tenant_id, article_no, available)"
                " SELECT $1, a, n FROM unnest($2::text[], $3::int[]) AS w(a, n)"
                " ON CONFLICT (tenant_id, article_no) DO UPDATE SET available = excluded.available",
                tenant_id, list(last), list(last.values()))

        await self._transaction(op)

    async def park_stock(self, tenant_id: str, levels: list[tuple[str, int]]) -> None:
        async def op(conn: Conn) -> None:
            await conn.execute(
                "UPDATE stock_pending AS p SET waiting = true FROM unnest($2::text[], $3::bigint[]) AS s(a, v)"
                " WHERE p.tenant_id = $1 AND p.article_no = s.a AND p.version = s.v",
                tenant_id, [a for a, _ in levels], [v for _, v in levels])
            await conn.execute("DELETE FROM stock_written WHERE tenant_id = $1 AND article_no = ANY($2::text[])",
                               tenant_id, [a for a, _ in levels])

        await self._transaction(op)

    async def wake_stock(self, tenant_id: str, article_nos: list[str]) -> int:
        return await self._execute(
            "UPDATE stock_pending SET waiting = false WHERE tenant_id = $1 AND article_no = ANY($2::text[])"
            " AND waiting", tenant_id, article_nos)

    async def has_waiting_stock(self, tenant_id: str) -> bool:
        row = await self._fetchrow("SELECT 1 FROM stock_pending WHERE tenant_id = $1 AND waiting LIMIT 1", tenant_id)
        return row is not None

    async def resend_stock(self, tenant_id: str, account_id: str, article_nos: list[str]) -> int:
        async def op(conn: Conn) -> int:
            await conn.execute("DELETE FROM stock_written WHERE tenant_id = $1 AND article_no = ANY($2::text[])",
                               tenant_id, article_nos)
            return _count(await conn.execute(RESEND_STOCK.format(only=" AND article_no = ANY($3::text[])"),
                                             tenant_id, account_id, article_nos))

        return await self._transaction(op)

    async def resend_all_stock(self, tenant_id: str, account_id: str) -> int:
        async def op(conn: Conn) -> int:
            await conn.execute("DELETE FROM stock_written WHERE tenant_id = $1", tenant_id)
            return _count(await conn.execute(RESEND_STOCK.format(only=""), tenant_id, account_id))

        return await self._transaction(op)

    async def stock_on_the_way(self, tenant_id: str, article_nos: list[str]) -> set[str]:
        rows = await self._fetch("SELECT article_no FROM stock_pending WHERE tenant_id = $1 AND NOT waiting"
                                 " AND article_no = ANY($2::text[])", tenant_id, sorted(set(article_nos)))
        return {row[0] for row in rows}

    async def stock_drifted(self, tenant_id: str, account_id: str, seen: list[tuple[str, int]]) -> int:
        """What the shop showed becomes "the level last written", so the push compares Specter's
        level with what the shop holds now rather than with what it was once given."""
        last = dict(seen)  # one row per article: the last wins

        async def op(conn: Conn) -> int:
            await conn.execute(
                "INSERT INTO stock_written (tenant_id, article_no, available)"
                " SELECT $1, a, n FROM unnest($2::text[], $3::int[]) AS w(a, n)"
                " ON CONFLICT (tenant_id, article_no) DO UPDATE SET available = excluded.available",
                tenant_id, list(last), list(last.values()))
            return _count(await conn.execute(RESEND_STOCK.format(only=" AND article_no = ANY($3::text[])"),
                                             tenant_id, account_id, list(last)))

        return await self._transaction(op)

    # -- Specter's articles --------------------------------------------------------------------

    async def store_article_infos(self, account_id: str, infos: list[ArticleInfo]) -> None:
        last = {i.article.article_no: msgspec.json.encode(i).decode() for i in infos}  # the last read wins
        await self._execute(
            "INSERT INTO specter_articles (account_id, article_no, info, read_at)"
            " SELECT $1, a, i, $2 FROM unnest($3::text[], $4::text[]) AS r(a, i)"
            " ON CONFLICT (account_id, article_no) DO UPDATE SET info = excluded.info, read_at = excluded.read_at",
            account_id, time.time(), list(last), list(last.values()))

    async def specter_articles(self, account_id: str, after: str, limit: int) -> list[ArticleInfo]:
        rows = await self._fetch(
            "SELECT info FROM specter_articles WHERE account_id = $1 AND article_no > $2"
            " ORDER BY article_no LIMIT $3", account_id, after, limit)
        return [msgspec.json.decode(row[0], type=ArticleInfo) for row in rows]


    async def specter_articles_by_no(self, account_id: str, article_nos: list[str]) -> dict[str, ArticleInfo]:
        rows = await self._fetch("SELECT article_no, info FROM specter_articles WHERE account_id = $1"
                                 " AND article_no = ANY($2::text[])", account_id, sorted(set(article_nos)))
        return {row[0]: msgspec.json.decode(row[1], type=ArticleInfo) for row in rows}

    async def specter_vat_rates(self, account_id: str) -> list[Decimal]:
        rows = await self._fetch(
            "SELECT DISTINCT info::jsonb -> 'article' ->> 'vat_percent' FROM specter_articles"
            " WHERE account_id = $1 AND info::jsonb -> 'article' ->> 'vat_percent' IS NOT NULL", account_id)
        return sorted({Decimal(value) for (value,) in rows})

    async def put_service_articles(self, account_id: str, article_nos: list[str], at: float) -> None:
        await self._execute(
            "INSERT INTO service_articles (account_id, article_no, ensured_at)"
            " SELECT $1, a, $3 FROM unnest($2::text[]) AS a"
            " ON CONFLICT (account_id, article_no) DO UPDATE SET ensured_at = excluded.ensured_at",
            account_id, sorted(set(article_nos)), at)

    async def service_articles(self, account_id: str) -> dict[str, float]:
        rows = await self._fetch("SELECT article_no, ensured_at FROM service_articles WHERE account_id = $1",
                                 account_id)
        return {row["article_no"]: row["ensured_at"] for row in rows}

    # -- reconciliations -----------------------------------------------------------------------

    async def put_reconciliation(self, report: Reconciliation) -> None:
        await self._execute(
            "INSERT INTO reconciliations (tenant_id, event_id, finished_at, report) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (tenant_id) DO UPDATE SET event_id = excluded.event_id,"
            " finished_at = excluded.finished_at, report = excluded.report",
            report.tenant_id, report.event_id, report.finished_at, encode(report).decode())

    async def get_reconciliation(self, tenant_id: str) -> Reconciliation | None:
        report = await self._connected().fetchval("SELECT report FROM reconciliations WHERE tenant_id = $1",
                                                  tenant_id)
        return msgspec.json.decode(report, type=Reconciliation) if report else None

async def _insert_events(conn: Conn, rows: list[EventRow]) -> list[tuple[int, bool]]:
    """Insert event rows in one statement, answering (id, created) per row: an idempotency key
    recorded before answers the first event's id.

    Each row takes its id from the events' sequence (which never hands one out twice, whatever
    other nodes insert meanwhile) before the insert, so the statement can say which id is
    whose, inserted or not. ON CONFLICT DO NOTHING waits for a concurrent insert of the same key
    to commit and then skips the row; the look-up after it (a new statement) sees that row. Ids
    of rows skipped that way stay unused, as a sequence's may.

    Rows go in in the order of their (scope, key), not as given: two nodes inserting batches that
    share keys then wait on those keys in the same order, where the order given could make each
    wait on a key the other holds (a deadlock PostgreSQL answers by failing one batch)."""
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    answers = await conn.fetch(
        "WITH r AS (SELECT nextval(pg_get_serial_sequence('events', 'id')) AS id, *"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
        " $8::float8[], $9::float8[], $10::float8[]) WITH ORDINALITY"
        " AS r(kind, tenant_id, account_id, scope, subject, key, payload, due, created, updated, n)),"
        " inserted AS (INSERT INTO events (id, kind, tenant_id, account_id, scope, subject, idempotency_key, payload,"
        " status, next_attempt_at, created_at, updated_at)"
        " SELECT id, kind, tenant_id, account_id, scope, subject, key, payload, 'pending', due, created, updated"
        " FROM r ORDER BY scope, key, n ON CONFLICT DO NOTHING RETURNING id)"
        " SELECT r.id, inserted.id IS NOT NULL FROM r LEFT JOIN inserted USING (id) ORDER BY r.n",
        *columns)
    if all(created for _, created in answers):
        return [(event_id, True) for event_id, _ in answers]
    # Some keys were recorded before (or twice in this batch): find the first event of each.
    missing = [row for (_, created), row in zip(answers, rows, strict=True) if not created]
    firsts = {(r[0], r[1]): r[2] for r in await conn.fetch(
        "SELECT scope, idempotency_key, id FROM events"
        " WHERE (scope, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [row[3] for row in missing], [row[5] for row in missing])}
    return [(event_id, True) if created else (firsts[(row[3], row[5])], False)
            for (event_id, created), row in zip(answers, rows, strict=True)]


class _RecordBatcher:
    """Group commit for the event log: the events that concurrent callers (webhooks arriving
    together) record while an insert is on its way wait for it to finish, then go in together
    in the next one: one statement, one commit and one WAL flush for all of them, instead of one
    each. At most one insert is on its way at a time, per process."""

    def __init__(self, insert: Callable[[list[EventRow]], Awaitable[list[tuple[int, bool]]]]):
        self._insert = insert
        self._waiting: list[tuple[list[EventRow], asyncio.Future[list[tuple[int, bool]]]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def add(self, rows: list[EventRow]) -> list[tuple[int, bool]]:
        future: asyncio.Future[list[tuple[int, bool]]] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="postgres-record-events")
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            try:
                answers = await self._insert([row for rows, _ in taken for row in rows])
            except Exception as exc:  # noqa: BLE001 - every caller of this batch gets the failure
                for _, future in taken:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for rows, future in taken:
                mine, answers = answers[:len(rows)], answers[len(rows):]
                if not future.done():
                    future.set_result(mine)
