"""Serving a simulator in the running event loop, for tests and benchmarks (the Specter
simulator and the platforms' fake shops alike)."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start ``app`` on ``host:port`` (0: a free port); the runner, to stop it, and its base URL
    ending with "/"."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, f"http://{host}:{runner.addresses[0][1]}/"
