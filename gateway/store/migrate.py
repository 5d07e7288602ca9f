"""Versioned schema migrations for the SQLite store.

A migration is a file ``NNNN_name.sql`` in a migrations directory; its number is its version.
Each pending migration runs in its own transaction together with its row in
``schema_migrations``, so a failed one leaves nothing behind and a restart applies only what is
missing. Statements are split at line ends where SQLite reports a complete statement; a
migration must not contain BEGIN or COMMIT itself.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

from gateway.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d+)_([\w\-]+)\.sql$")


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory``, by version."""
    found: dict[int, Migration] = {}
    for path in sorted(Path(directory).glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ConfigError(f"migration file {path.name!r} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ConfigError(f"two migrations have version {version}: {found[version].name} and {path.stem}")
        found[version] = Migration(version, path.stem, path.read_text())
    return [found[v] for v in sorted(found)]


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the pending migrations of ``directory``; answer the versions applied now.

    ``conn`` must be in autocommit mode (``isolation_level=None``): transactions are explicit.
    """
    migrations = load_migrations(directory)
    known = {m.version for m in migrations}
    newer = sorted(applied_versions(conn) - known)
    if newer:
        raise ConfigError(
            f"the database has schema version {newer[-1]}, newer than this gateway knows; upgrade the gateway"
        )
    applied: list[int] = []
    for migration in migrations:
        # BEGIN IMMEDIATE, then look again: another process may be migrating the same file.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if migration.version in applied_versions(conn):
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise ConfigError(f"migration {migration.name} failed: {exc}") from exc
            raise
        applied.append(migration.version)
    return applied


def _statements(sql: str) -> list[str]:
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(_is_comment(line) for line in pending.splitlines()):
        raise ConfigError(f"migration ends inside a statement: {pending.strip()[:80]!r}")
    return statements


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("--")
