"""``/metrics`` on a separate address (``SPECTER_GATEWAY_METRICS_ADDRESS``, HOST:PORT), without a
token: for a Prometheus that scrapes over a private network or loopback, while the public
address answers 404 for it. Served by aiohttp inside the gateway's own event loop, so the
queue's depth is read from the same store, and started with the web process (a taken or bad
address stops the start, saying so)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.errors import ConfigError
from gateway.store.base import Store
from gateway.web.health import metrics_text


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"SPECTER_GATEWAY_METRICS_ADDRESS must be HOST:PORT (e.g. 127.0.0.1:9464), not {address!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class MetricsServer:
    def __init__(self, store: Store, address: str):
        self.host, self.port = parse_address(address)
        self._store = store
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(f"cannot serve metrics on {self.host}:{self.port}: {exc.strerror or exc}") from None
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await metrics_text(self._store)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
