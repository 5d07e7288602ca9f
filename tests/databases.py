"""The databases a test may run its store on: a SQLite file, or a fresh PostgreSQL database on
the server at ``SPECTER_GATEWAY_TEST_POSTGRES_URL`` (default: the local one scripts/ensure-services
starts), created for the test and dropped after it. Test databases are named ``sg_pg_…``."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from cryptography.fernet import Fernet

from gateway.secrets import Cipher
from gateway.store.base import Store
from gateway.store.factory import make_store, sqlite_path, sqlite_url

POSTGRES_URL = os.environ.get("SPECTER_GATEWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_PREFIX = "sg_pg_"
DIALECTS = ("sqlite", "postgresql")

# For a test (or a fixture it uses) that takes the ``database`` fixture: run it on both.
both_databases = pytest.mark.parametrize("database", DIALECTS, indirect=True)
# For an end-to-end test of both job runners: each on the embedded SQLite, and arq (several
# worker processes' runner) on PostgreSQL too.
runners_and_databases = pytest.mark.parametrize(
    ("runner", "database"), [("inprocess", "sqlite"), ("arq", "sqlite"), ("arq", "postgresql")], indirect=["database"])


@dataclass
class Database:
    dialect: str
    url: str

    def store(self, key: bytes) -> Store:
        """A store on this database (not opened); several are several nodes."""
        return make_store(self.url, Cipher(key), pool_size=4)

    async def scalar(self, sql: str) -> object:
        """One value, read behind the store's back (SQL the same in both dialects)."""
        path = sqlite_path(self.url)
        if path is not None:
            import sqlite3

            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchone()[0]
        conn = await asyncpg.connect(self.url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards (with whatever is still
    connected to it)."""
    name = DATABASE_PREFIX + uuid.uuid4().hex[:16]
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(POSTGRES_URL, name)
    finally:
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def open_database(dialect: str, tmp_path: Path) -> AsyncIterator[Database]:
    if dialect == "sqlite":
        yield Database("sqlite", sqlite_url(tmp_path / "db" / "gateway.db"))
    elif dialect == "postgresql":
        async with postgres_database() as url:
            yield Database("postgresql", url)
    else:
        raise ValueError(f"unknown database {dialect!r}")


def new_key() -> bytes:
    return Fernet.generate_key()
