"""SQLite and PostgreSQL keep one schema in two dialects: the same tables with the same columns,
the same versions from PostgreSQL's first migration on, and PostgreSQL's migrations applied as
SQLite's are (once, all or nothing, never over a newer schema)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from gateway.errors import ConfigError
from gateway.secrets import Cipher
from gateway.store.factory import make_store
from gateway.store.migrate import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, load_migrations
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SQLiteStore
from tests.databases import postgres_database

KEY = Fernet.generate_key()


async def postgres_columns(url: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT table_name, column_name FROM information_schema.columns"
                                " WHERE table_schema = 'public'")
    finally:
        await conn.close()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def sqlite_columns(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT LIKE 'sqlite_%'")]
        return {table: {r[1] for r in conn.execute(f"PRAGMA table_info({table})")} for table in tables}


async def test_both_dialects_build_the_same_tables_and_columns(tmp_path: Path):
    sqlite = SQLiteStore(tmp_path / "gateway.db", Cipher(KEY))
    await sqlite.open()
    await sqlite.close()
    async with postgres_database() as url:
        postgres = PostgresStore(url, Cipher(KEY))
        await postgres.open()
        await postgres.close()
        assert await postgres_columns(url) == sqlite_columns(tmp_path / "gateway.db")


def test_every_change_since_the_first_postgresql_migration_has_a_file_in_both_dialects():
    sqlite = {m.version: m.name for m in load_migrations(MIGRATIONS_DIR)}
    postgres = {m.version: m.name for m in load_migrations(POSTGRES_MIGRATIONS_DIR)}
    first = min(postgres)
    assert postgres[first] == f"{first:04d}_initial"  # the schema SQLite's migrations up to it built
    assert {v: n for v, n in sqlite.items() if v > first} == {v: n for v, n in postgres.items() if v > first}
    assert first in sqlite


async def test_a_failing_postgresql_migration_leaves_nothing_behind_and_a_newer_schema_is_refused(tmp_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in POSTGRES_MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(source, migrations)
    (migrations / "9998_broken.sql").write_text("CREATE TABLE half_done (x int);\nSELECT nonsense FROM nowhere;\n")
    async with postgres_database() as url:
        with pytest.raises(ConfigError, match="9998_broken"):
            await PostgresStore(url, Cipher(KEY), migrations_dir=migrations).open()
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT max(version) FROM schema_migrations") < 9998
            assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        finally:
            await conn.close()

        (migrations / "9998_broken.sql").write_text("CREATE TABLE later (x int);\n")
        newer = PostgresStore(url, Cipher(KEY), migrations_dir=migrations)
        await newer.open()
        await newer.close()
        with pytest.raises(ConfigError, match="newer"):
            await PostgresStore(url, Cipher(KEY)).open()


async def test_an_unreachable_postgresql_server_is_named_without_its_password():
    store = PostgresStore("postgresql://gateway:s3cret-pw@127.0.0.1:1/nowhere", Cipher(KEY))
    with pytest.raises(ConfigError, match="127.0.0.1:1/nowhere") as raised:
        await store.open()
    assert "s3cret-pw" not in str(raised.value)


def test_the_database_url_picks_the_store(tmp_path: Path):
    relative = make_store("sqlite:///data/gateway.db", Cipher(KEY))
    assert isinstance(relative, SQLiteStore) and relative.path == Path("data/gateway.db")
    absolute = make_store(f"sqlite:///{tmp_path}/db/gateway.db", Cipher(KEY))  # four slashes: absolute
    assert isinstance(absolute, SQLiteStore) and absolute.path == tmp_path / "db" / "gateway.db"
    for url in ("postgresql://gw:pw@db.example:5432/gateway", "postgres://gw@db.example/gateway"):
        assert isinstance(make_store(url, Cipher(KEY)), PostgresStore)
    with pytest.raises(ConfigError, match="mysql://gw@db.example/gateway") as raised:
        make_store("mysql://gw:s3cret-pw@db.example/gateway", Cipher(KEY))
    assert "s3cret-pw" not in str(raised.value)
