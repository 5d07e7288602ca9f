"""The SQLite store's rule sets (see gateway/rules/), kept apart from the rest of
:mod:`gateway.store.sqlite`.

A save is one write transaction that reads the newest version and adds the next one, so two
people saving at once get two versions in order, and a save that says which version it edited
is refused (None) when another was saved since: nobody overwrites a change they never saw.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from gateway.rules.language import RuleSet, RuleSetVersion, changes_between

T = TypeVar("T")


def _version(row: sqlite3.Row) -> RuleSetVersion:
    return RuleSetVersion(tenant_id=row["tenant_id"], version=row["version"],
                          rules=msgspec.json.decode(row["rules"], type=RuleSet), saved_by=row["saved_by"],
                          saved_at=row["saved_at"], changes=msgspec.json.decode(row["changes"], type=list[str]))


class RulesSQL:
    """Mixed into :class:`gateway.store.sqlite.SQLiteStore`, which provides the plumbing."""

    if TYPE_CHECKING:  # pragma: no cover - provided by SQLiteStore
        async def _write(self, op: Callable[[sqlite3.Connection], T]) -> T: ...
        async def _read(self, sql: str, params: Any = ()) -> list[sqlite3.Row]: ...
        async def _read_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None: ...

    async def put_rules(self, tenant_id: str, rules: RuleSet, saved_by: str,
                        expected_version: int | None = None) -> RuleSetVersion | None:
        def op(conn: sqlite3.Connection) -> RuleSetVersion | None:
            row = conn.execute("SELECT * FROM rule_sets WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
                               (tenant_id,)).fetchone()
            current = _version(row) if row is not None else None
            if expected_version is not None and (current.version if current else 0) != expected_version:
                return None
            saved = RuleSetVersion(tenant_id=tenant_id, version=(current.version if current else 0) + 1,
                                   rules=rules, saved_by=saved_by, saved_at=time.time(),
                                   changes=changes_between(current.rules if current else None, rules))
            conn.execute("INSERT INTO rule_sets (tenant_id, version, rules, saved_by, saved_at, changes)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         (tenant_id, saved.version, msgspec.json.encode(rules).decode(), saved_by, saved.saved_at,
                          msgspec.json.encode(saved.changes).decode()))
            return saved

        return await self._write(op)

    async def get_rules(self, tenant_id: str, version: int | None = None) -> RuleSetVersion | None:
        if version is None:
            row = await self._read_one("SELECT * FROM rule_sets WHERE tenant_id = ? ORDER BY version DESC LIMIT 1",
                                       (tenant_id,))
        else:
            row = await self._read_one("SELECT * FROM rule_sets WHERE tenant_id = ? AND version = ?",
                                       (tenant_id, version))
        return _version(row) if row is not None else None

    async def rule_history(self, tenant_id: str, limit: int) -> list[RuleSetVersion]:
        rows = await self._read("SELECT * FROM rule_sets WHERE tenant_id = ? ORDER BY version DESC LIMIT ?",
                                (tenant_id, limit))
        return [_version(r) for r in rows]
