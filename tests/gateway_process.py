"""The gateway served by uvicorn on a loopback port inside the test's event loop, as the tests
and the end-to-end stack start it; or as a process of its own, for tests that kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
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


async def start_gateway(config: GatewayConfig, runner: str = "inprocess",
                        port: int | None = None) -> tuple[RunningGateway, asyncio.Task[None]]:
    """Serve the gateway on a free port (or ``port``); stop it with ``server.should_exit = True``
    and await the task."""
    from gateway.web.app import create_app

    port = port or free_port()
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


@dataclass
class GatewayProcess:
    """The gateway as an operating-system process of its own (``specter-gateway serve``, jobs
    in-process unless ``settings`` name a Redis URL; or ``specter-gateway worker``), for tests
    that kill it with SIGKILL (no shutdown, nothing flushed) and start it again on the same data
    and port. Its log goes to ``<data dir name>.log`` beside the data."""

    data_dir: Path
    secret_key: str
    port: int = field(default_factory=free_port)
    settings: dict[str, str] = field(default_factory=dict)  # more SPECTER_GATEWAY_* variables
    command: str = "serve"  # or "worker" (no port, no /readyz: started, not waited for)
    proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    async def start(self, http: aiohttp.ClientSession, timeout: float = 30.0) -> None:
        """Start it and wait until it answers /readyz (a worker: until it runs)."""
        env = os.environ | {
            "SPECTER_GATEWAY_DATA_DIR": str(self.data_dir), "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            "SPECTER_GATEWAY_SECRET_KEY": self.secret_key, "SPECTER_GATEWAY_PUBLIC_URL": self.url,
            "SPECTER_GATEWAY_REDIS_URL": "", "SPECTER_GATEWAY_RECONCILE_SECONDS": "0.5",
            "SPECTER_GATEWAY_RETRY_BASE_SECONDS": "0.2", "SPECTER_GATEWAY_LEASE_SECONDS": "2",
        } | {f"SPECTER_GATEWAY_{k.upper()}": v for k, v in self.settings.items()}
        log = self.data_dir.parent / f"{self.data_dir.name}.log"
        args = ["serve", "--port", str(self.port), "--log-level", "warning"] if self.command == "serve" else ["worker"]
        with log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway.cli", *args,
                env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out)
        if self.command != "serve":
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                break
            try:
                async with http.get(self.url + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the gateway process did not start: {log.read_text()[-2000:]}")

    async def kill(self) -> None:
        """SIGKILL: gone at once, as after a power cut or the OOM killer."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                await self.kill()
