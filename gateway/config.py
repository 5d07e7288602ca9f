"""The gateway's own configuration, from environment variables with embedded defaults.

With nothing set, the gateway keeps its SQLite database, its secret key and its admin token in
``./data`` and runs jobs in-process: no other server is needed. Several nodes share one
PostgreSQL database (``SPECTER_GATEWAY_DATABASE_URL``) and one Redis instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec

ENV_PREFIX = "SPECTER_GATEWAY_"


class GatewayConfig(msgspec.Struct, kw_only=True):
    data_dir: Path = Path("data")
    # sqlite:///relative/path, sqlite:////absolute/path or postgresql://user:password@host/dbname;
    # default: SQLite in data_dir/gateway.db. Every node (serve, worker) of one gateway names the same.
    database_url: str = ""
    database_pool_size: int = 10  # PostgreSQL connections per process, at most
    redis_url: str = ""  # empty: the in-process job runner; set: arq on Redis
    public_url: str = "http://127.0.0.1:8000"  # how shops and Specter reach this gateway
    secret_key: str = ""  # Fernet key for stored secrets; default: data_dir/secret.key
    admin_token: str = ""  # for the JSON admin API; default: data_dir/admin.token
    plugins: list[str] = []  # extra plugin modules
    max_body_bytes: int = 2 * 1024 * 1024
    workers: int = 8  # concurrent jobs in-process, or per arq worker
    reconcile_seconds: float = 5.0
    max_attempts: int = 12
    job_lease_seconds: float = 300.0  # the longest a job may run (arq's job timeout)
    # How long a node's leases (the poller's, the reconciler's) and its claims on the events it
    # runs last without renewal; it renews them three times as often. A node that dies hands
    # its work on to the others this long after its last renewal.
    lease_seconds: float = 10.0
    stock_requests_in_flight: int = 4  # concurrent stock requests to one shop
    poll_seconds: float = 300.0  # pull from Specter this often even without a callback (0: never)
    retry_base_seconds: float = 2.0  # first retry's backoff ceiling; doubles per attempt (jobs/retry.py)
    queue_name: str = "specter-gateway"  # arq queue (and job id prefix): gateways sharing a Redis differ here
    console_session_seconds: float = 8 * 3600.0  # an admin console sign-in lasts this long
    # Failed console sign-ins: this many for one user name, or from one address, within
    # signin_lockout_seconds lock that name or address out until that long after the last one.
    signin_max_failures_user: int = 5
    signin_max_failures_address: int = 20
    signin_lockout_seconds: float = 900.0
    # /metrics: behind this bearer token (default: data_dir/metrics.token); or, with
    # metrics_address (HOST:PORT) set, served there without a token and not on the main address.
    metrics_token: str = ""
    metrics_address: str = ""
    # Alerts and daily reports (gateway/alerts/): the SMTP server e-mails go through (empty: no
    # e-mail), and how it is reached: security "starttls", "tls" or "none".
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Specter Gateway <specter-gateway@localhost>"
    alert_quiet_seconds: float = 3600.0  # at most one message per tenant and cause in this time
    alert_retry_seconds: float = 300.0  # a message or report e-mail that failed is tried again after this
    alert_seconds: float = 30.0  # how often waiting alerts and due reports are looked at (0: never)
    report_hour: int = 6  # each tenant's report on yesterday is made after this hour (local time)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> GatewayConfig:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is None:
                continue
            if field.name == "plugins":
                values[field.name] = [p for p in raw.split(",") if p.strip()]
            else:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        data_dir = values.pop("data_dir", None)
        config = msgspec.convert(values, cls, strict=False)
        if data_dir is not None:
            config.data_dir = Path(data_dir)
        return config

    def resolved_database_url(self) -> str:
        from gateway.store.factory import sqlite_url

        return self.database_url or sqlite_url(self.data_dir / "gateway.db")

    @property
    def database_path(self) -> Path:
        """The SQLite file (ConfigError for another database)."""
        from gateway.errors import ConfigError
        from gateway.store.factory import safe_url, sqlite_path

        path = sqlite_path(self.resolved_database_url())
        if path is None:
            raise ConfigError(f"the database is not a SQLite file: {safe_url(self.resolved_database_url())}")
        return path

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> bytes:
        """The Fernet key: configured, or kept in data_dir (created on first start, mode 0600)."""
        if self.secret_key:
            return self.secret_key.encode()
        from cryptography.fernet import Fernet

        return _file_secret(self.data_dir / "secret.key", lambda: Fernet.generate_key().decode()).encode()

    def resolved_admin_token(self) -> str:
        if self.admin_token:
            return self.admin_token
        return _file_secret(self.data_dir / "admin.token", lambda: secrets.token_urlsafe(32))

    def resolved_metrics_token(self) -> str:
        if self.metrics_token:
            return self.metrics_token
        return _file_secret(self.data_dir / "metrics.token", lambda: secrets.token_urlsafe(32))


def _file_secret(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value
