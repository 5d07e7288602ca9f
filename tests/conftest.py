"""Shared fixtures: a gateway served by uvicorn on a loopback port, its configuration, an HTTP
session. The helpers behind them live in ordinary modules (tests/gateway_process.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from gateway.config import GatewayConfig
from tests.databases import Database, open_database
from tests.gateway_process import ADMIN_TOKEN, RunningGateway, start_gateway


@pytest.fixture
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The database a test's store uses: SQLite unless the test is parametrised with
    ``tests.databases.both_databases`` (or names "postgresql" itself, indirectly)."""
    async with open_database(getattr(request, "param", "sqlite"), tmp_path) as db:
        yield db


@pytest.fixture
def gateway_config(tmp_path: Path, database: Database) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path / "data",
        database_url=database.url,
        admin_token=ADMIN_TOKEN,
        secret_key=Fernet.generate_key().decode(),
        reconcile_seconds=0.5,
        lease_seconds=2,
    )


@pytest.fixture
async def running_gateway(gateway_config: GatewayConfig) -> AsyncIterator[RunningGateway]:
    running, task = await start_gateway(gateway_config)
    try:
        yield running
    finally:
        running.server.should_exit = True
        await task


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
