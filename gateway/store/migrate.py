"""Versioned schema migrations, kept per dialect: SQLite's in ``migrations/``, PostgreSQL's in
``migrations/postgresql/``.

A migration is a file ``NNNN_name.sql`` in a migrations directory; its number is its version.
Each pending migration runs in its own transaction together with its row in
``schema_migrations``, so a failed one leaves nothing behind and a restart applies only what is
missing. A migration must not contain BEGIN or COMMIT itself. SQLite's statements are split at
line ends where SQLite reports a complete statement; PostgreSQL runs a file as one script.

Both dialects share version numbers: PostgreSQL's first file, ``0008_initial.sql``, is the schema
SQLite's 0001-0008 built, and from there on every change is one file of the same number and name
in each directory (``tests/test_store_dialects.py`` holds them to the same tables and columns).
Porting a SQLite migration: copy it to ``migrations/postgresql/`` under the same name and write
it in PostgreSQL's types (``REAL`` -> ``DOUBLE PRECISION``, an ``INTEGER`` flag -> ``BOOLEAN``,
``BIGSERIAL`` for an id, no ``WITHOUT ROWID``, ``COLLATE "C"`` on text a query orders or pages
by, so both databases sort alike).

Several nodes may start at once: SQLite's migrations run under ``BEGIN IMMEDIATE`` (one writer
at a time, each looks again before applying), PostgreSQL's under an advisory lock
(:func:`migrate_postgres`), so a migration is applied once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gateway.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover - asyncpg is imported only by a PostgreSQL store
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
POSTGRES_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"
# pg_advisory_lock(MIGRATION_LOCK, 0): held by the node applying migrations.
MIGRATION_LOCK = 4
SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)"
)
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
    conn.execute(SCHEMA_MIGRATIONS.format(real="REAL"))
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def _refuse_newer(applied: set[int], migrations: list[Migration]) -> None:
    newer = sorted(applied - {m.version for m in migrations})
    if newer:
        raise ConfigError(
            f"the database has schema version {newer[-1]}, newer than this gateway knows; upgrade the gateway"
        )


def migrate(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the pending migrations of ``directory``; answer the versions applied now.

    ``conn`` must be in autocommit mode (``isolation_level=None``): transactions are explicit.
    """
    migrations = load_migrations(directory)
    _refuse_newer(applied_versions(conn), migrations)
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


async def migrate_postgres(conn: PoolConnectionProxy[asyncpg.Record] | asyncpg.Connection,
                           directory: Path = POSTGRES_MIGRATIONS_DIR) -> list[int]:
    """Apply the pending migrations of ``directory`` to a PostgreSQL database; answer the
    versions applied now.

    The whole run holds a session advisory lock: of several nodes starting together, one
    migrates while the others wait on the lock, and then find nothing left to do (creating the
    bookkeeping table itself is inside the lock, since two concurrent CREATE TABLE IF NOT EXISTS
    can still collide).
    """
    import asyncpg

    migrations = load_migrations(directory)
    await conn.execute("SELECT pg_advisory_lock($1, 0)", MIGRATION_LOCK)
    try:
        await conn.execute(SCHEMA_MIGRATIONS.format(real="DOUBLE PRECISION"))
        done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        _refuse_newer(done, migrations)
        applied: list[int] = []
        for migration in migrations:
            if migration.version in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)  # no arguments: one script, many statements
                    await conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                                       migration.version, migration.name, time.time())
            except asyncpg.PostgresError as exc:
                raise ConfigError(f"migration {migration.name} failed: {exc}") from exc
            applied.append(migration.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, 0)", MIGRATION_LOCK)


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
