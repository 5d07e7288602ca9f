"""The store a database URL names: ``sqlite:///path`` (the embedded default) or ``postgresql://…``.

SQLite URLs follow the usual form: three slashes and a relative path (``sqlite:///data/gateway.db``),
four for an absolute one (``sqlite:////var/lib/specter-gateway/gateway.db``). A PostgreSQL URL is
libpq's (``postgresql://user:password@host:5432/dbname``, ``postgres://`` too); its password is
never shown (:func:`safe_url`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from gateway.errors import ConfigError
from gateway.secrets import Cipher
from gateway.store.base import Store

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def sqlite_url(path: Path | str) -> str:
    return SQLITE_PREFIX + str(path)


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    path = url[len(SQLITE_PREFIX):]
    if not path:
        raise ConfigError(f"the database URL {url!r} names no file (sqlite:///relative/path or sqlite:////absolute)")
    return Path(path)


def dialect_of(url: str) -> str:
    if url.startswith(SQLITE_PREFIX):
        return "sqlite"
    if urlsplit(url).scheme in POSTGRES_SCHEMES:
        return "postgresql"
    raise ConfigError(f"unsupported database URL {safe_url(url)!r}: use sqlite:///path or postgresql://…")


def safe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_store(url: str, cipher: Cipher, *, pool_size: int = 10) -> Store:
    """The store for ``url``, not yet opened (``await store.open()`` connects and migrates)."""
    if dialect_of(url) == "sqlite":
        from gateway.store.sqlite import SQLiteStore

        path = sqlite_path(url)
        assert path is not None
        return SQLiteStore(path, cipher)  # its directory is made when it opens
    from gateway.store.postgres import PostgresStore

    return PostgresStore(url, cipher, pool_size=pool_size)
