"""``specter-gateway`` run as its own process against a running stack's data (the same database,
secret key and public URL), without blocking the event loop the stack's servers answer in."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

from gateway.config import GatewayConfig


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli_env(config: GatewayConfig) -> dict[str, str]:
    return os.environ | {
        "SPECTER_GATEWAY_DATA_DIR": str(config.data_dir), "SPECTER_GATEWAY_SECRET_KEY": config.secret_key,
        "SPECTER_GATEWAY_PUBLIC_URL": config.public_url, "SPECTER_GATEWAY_REDIS_URL": config.redis_url,
    }


async def run_cli(config: GatewayConfig, *args: str, input: str | None = None) -> Ran:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", *args, env=cli_env(config), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(input.encode() if input is not None else None), 120)
    return Ran(proc.returncode or 0, out.decode(), err.decode())
