"""A load balancer in front of several gateway nodes, as nginx with one upstream per node: each
request goes to the next node in turn, and one a node does not answer (connection refused or
reset: the node is down) is passed to the next node, as ``proxy_next_upstream error``. Shops and
Specter call the gateway through it, so they reach whichever node is up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.gateway_process import free_port

HOP_BY_HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


@dataclass
class Balancer:
    backends: list[str] = field(default_factory=list)  # the nodes' base URLs
    port: int = field(default_factory=free_port)
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        first = next(self._turn)
        for n in range(len(self.backends)):
            backend = self.backends[(first + n) % len(self.backends)]
            try:
                async with self._session.request(request.method, backend + request.path_qs, data=body,
                                                 headers=headers, allow_redirects=False) as resp:
                    answer = await resp.read()
                    kept = {k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=resp.status, body=answer, headers=kept)
            except (aiohttp.ClientConnectionError, aiohttp.ServerDisconnectedError):
                continue  # that node is down: the next one
        return web.Response(status=502, text="no node answered")
