"""The gateway served by uvicorn on a loopback port inside the test's event loop, as the tests
and the end-to-end stack start it."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import uvicorn

from gateway.config import GatewayConfig
from gateway.services import Gateway

ADMIN_TOKEN = "test-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    server: uvicorn.Server

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def start_gateway(config: GatewayConfig, runner: str = "inprocess") -> tuple[RunningGateway, asyncio.Task[None]]:
    """Serve the gateway on a free port; stop it with ``server.should_exit = True`` and await the task."""
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
