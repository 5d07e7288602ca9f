"""``specter-gateway demo`` on a terminal: start it, say where to look, keep the stream going
until Ctrl-C (or SIGTERM), then stop everything and throw the demo's data away."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
from pathlib import Path

from gateway.config import GatewayConfig
from gateway.demo.setup import Demo, PortTaken, start_demo
from gateway.demo.stream import DemoStream
from gateway.firstrun import first_admin_notice

POLL_SECONDS = 60.0  # the demo's gateway asks the shops and Specter a little more often than usual


def say(text: str) -> None:
    print(text, flush=True)


def introduction(demo: Demo, pace: float) -> str:
    lines = []
    if demo.password:
        lines.append(first_admin_notice(demo.password, demo.url))
    lines.append(f"Specter Gateway demo at {demo.url}/ (the console is at {demo.url}/admin/)")
    sbm_id = demo.account.account.sbm_id
    lines.append(f"  Specter simulator: {demo.specter.url} (account {sbm_id}, shared by every shop)")
    for t in demo.tenants:
        lines.append(f"  {t.tenant.name}: tenant {t.tenant.id}, a simulated shop ({t.title})")
    for platform, why in demo.left_out.items():
        lines.append(f"  left out: the {platform} shop, since {why}")
    lines.append(f"Every {pace:g} s a shopper orders, or in Specter goods arrive, a price changes or an order is "
                 "delivered. Ctrl-C stops the demo and throws its data away.")
    return "\n".join(lines)


async def run(host: str, port: int, pace: float, plugins: list[str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with tempfile.TemporaryDirectory(prefix="specter-gateway-demo-") as tmp:
        config = GatewayConfig(data_dir=Path(tmp) / "data", plugins=plugins, poll_seconds=POLL_SECONDS)
        demo = await start_demo(config, host, port, workdir=Path(tmp) / "shops")
        try:
            say(introduction(demo, pace))
            stream = asyncio.create_task(DemoStream(demo, say).run(pace), name="demo-stream")
            await stop.wait()
            say("stopping the demo")
            stream.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stream
        finally:
            await demo.stop()


def main(host: str, port: int, pace: float, plugins: list[str]) -> int:
    try:
        asyncio.run(run(host, port, pace, plugins))
    except PortTaken as exc:
        print(f"error: the demo could not start: {exc}", file=sys.stderr)
        return 2
    return 0
