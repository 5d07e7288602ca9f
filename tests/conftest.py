"""Shared fixtures: a gateway served by uvicorn on a loopback port, and its configuration."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from cryptography.fernet import Fernet

from gateway.config import GatewayConfig
from gateway.services import Gateway

ADMIN_TOKEN = "test-admin-token-0123456789"


def shared_dir() -> Path:
    """The project's ../shared (beside the checkout), as CI lays it out."""
    here = Path(__file__).resolve().parents[1].parent / "shared"
    return here if here.exists() else Path("/work/shared")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway_config(tmp_path: Path) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        secret_key=Fernet.generate_key().decode(),
        reconcile_seconds=0.5,
    )


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    server: uvicorn.Server

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def start_gateway(config: GatewayConfig, runner: str = "inprocess") -> tuple[RunningGateway, asyncio.Task]:
    from gateway.web.app import create_app

    port = free_port()
    config.public_url = f"http://127.0.0.1:{port}"  # where the shop and Specter call back
    app = create_app(config, runner=runner)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    else:
        raise RuntimeError("gateway did not start")
    return RunningGateway(f"http://127.0.0.1:{port}", app.state.gateway, server), task


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
