"""The PostgreSQL store's rule sets (see gateway/rules/): the counterpart of
:mod:`gateway.store.sqlite_rules`, kept apart from the rest of :mod:`gateway.store.postgres`.

Two people (or two nodes) may save a tenant's rules at once: a save takes a transaction-level
advisory lock on the tenant, then reads the newest version and adds the next, so saves get
versions in order, and a save that says which version it edited is refused (None) when another
was saved since. The primary key (tenant, version) would refuse a duplicate version anyway; the
lock turns that into a clean answer instead of an error.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
import msgspec

from gateway.rules.language import RuleSet, RuleSetVersion, changes_between

if TYPE_CHECKING:  # pragma: no cover
    from asyncpg.pool import PoolConnectionProxy

    Conn = PoolConnectionProxy[asyncpg.Record]

T = TypeVar("T")
LOCK_RULES = 8  # one tenant's rule set (the namespaces 1-7 are the store's, the migrations' and alerts')


def _version(row: asyncpg.Record) -> RuleSetVersion:
    return RuleSetVersion(tenant_id=row["tenant_id"], version=row["version"],
                          rules=msgspec.json.decode(row["rules"], type=RuleSet), saved_by=row["saved_by"],
                          saved_at=row["saved_at"], changes=msgspec.json.decode(row["changes"], type=list[str]))


class RulesSQL:
    """Mixed into :class:`gateway.store.postgres.PostgresStore`, which provides the plumbing."""

    if TYPE_CHECKING:  # pragma: no cover - provided by PostgresStore
        async def _transaction(self, op: Callable[[Conn], Awaitable[T]]) -> T: ...
        async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...
        async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None: ...

    async def put_rules(self, tenant_id: str, rules: RuleSet, saved_by: str,
                        expected_version: int | None = None) -> RuleSetVersion | None:
        async def op(conn: Conn) -> RuleSetVersion | None:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_RULES, tenant_id)
            row = await conn.fetchrow("SELECT * FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
                                      tenant_id)
            current = _version(row) if row is not None else None
            if expected_version is not None and (current.version if current else 0) != expected_version:
                return None
            saved = RuleSetVersion(tenant_id=tenant_id, version=(current.version if current else 0) + 1,
                                   rules=rules, saved_by=saved_by, saved_at=time.time(),
                                   changes=changes_between(current.rules if current else None, rules))
            await conn.execute("INSERT INTO rule_sets (tenant_id, version, rules, saved_by, saved_at, changes)"
                               " VALUES ($1, $2, $3, $4, $5, $6)",
                               tenant_id, saved.version, msgspec.json.encode(rules).decode(), saved_by, saved.saved_at,
                               msgspec.json.encode(saved.changes).decode())
            return saved

        return await self._transaction(op)

    async def get_rules(self, tenant_id: str, version: int | None = None) -> RuleSetVersion | None:
        if version is None:
            row = await self._fetchrow("SELECT * FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
                                       tenant_id)
        else:
            row = await self._fetchrow("SELECT * FROM rule_sets WHERE tenant_id = $1 AND version = $2",
                                       tenant_id, version)
        return _version(row) if row is not None else None

    async def rule_history(self, tenant_id: str, limit: int) -> list[RuleSetVersion]:
        rows = await self._fetch("SELECT * FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT $2",
                                 tenant_id, limit)
        return [_version(r) for r in rows]
