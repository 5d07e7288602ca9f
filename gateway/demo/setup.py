"""Starting the demo: Specter's simulator, a simulated shop per platform, the gateway, and a
connected tenant for each shop on one Specter account; and stopping it all again.

Everything runs in one event loop: the simulators are served beside the gateway, as the tests
serve them, so the demo needs no other process (the legacy PHP shop's ``php -S`` aside).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import uvicorn

from gateway.adapter import DemoShop
from gateway.config import GatewayConfig
from gateway.connect import connect_tenant
from gateway.connection_check import create_service_articles
from gateway.demo import catalogue
from gateway.firstrun import ensure_first_admin
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.simulators.specter.app import RunningSimulator, start_simulator
from gateway.simulators.specter.state import AccountState
from gateway.tenants import TenantService, suggested_prefix

log = logging.getLogger("gateway.demo")
SHOP_STOCK = 0  # the shops start empty-handed: Specter's stock reaching them is the first thing to see


class PortTaken(Exception):
    """The port the demo's gateway is to listen on is in use."""


@dataclass
class DemoTenant:
    tenant: Tenant
    title: str  # the platform's
    shop: DemoShop


@dataclass
class Demo:
    """The running demo. Stop it with :meth:`stop`."""

    config: GatewayConfig
    specter: RunningSimulator
    server: uvicorn.Server
    gw: Gateway
    url: str  # the gateway's
    password: str | None  # the first admin's, made for this demo
    tenants: list[DemoTenant] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # platform -> why it has no shop here
    _server_task: asyncio.Task[None] | None = None

    @property
    def account(self) -> AccountState:
        """The demo's Specter account, as a Specter user sees it."""
        return self.specter.state.account(catalogue.SBM_ID)

    async def stop(self) -> None:
        for demo_tenant in self.tenants:
            with contextlib.suppress(Exception):
                await demo_tenant.shop.stop()
        self.server.should_exit = True
        if self._server_task is not None:
            await self._server_task
        await self.specter.stop()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the demo stops on a signal itself, its shops
    first (a ``php -S`` in its own session would outlive a process that just exits)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _serve_gateway(config: GatewayConfig,
                         sock: socket.socket) -> tuple[uvicorn.Server, asyncio.Task[None], Gateway]:
    from gateway.web.app import create_app

    app = create_app(config)
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="demo-gateway")
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the demo's gateway did not start")
        await asyncio.sleep(0.02)
    gw: Gateway = app.state.gateway
    return server, task, gw


async def start_demo(config: GatewayConfig, host: str = "127.0.0.1", port: int = 8000, *,
                     workdir: Path) -> Demo:
    """Start the demo on ``config`` (a data directory of its own), the gateway listening on
    ``host:port``; the shops' files go in ``workdir``. A port that is taken is refused first,
    with :class:`PortTaken`, before anything else starts."""
    try:
        sock = socket.create_server((host, port))
    except OSError as exc:
        raise PortTaken(f"nothing can listen on {host}:{port} ({os.strerror(exc.errno or 0)}): choose another port "
                        f"with --port") from None
    specter = await start_simulator([catalogue.ACCOUNT_SPEC])
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - where to reach it
    # Where shops and Specter call: known before the gateway starts, as it hands it out at once.
    config.public_url = url = f"http://{shown}:{port}"
    server, task, gw = await _serve_gateway(config, sock)
    demo = Demo(config=config, specter=specter, server=server, gw=gw, url=url,
                password=await ensure_first_admin(gw.store), _server_task=task)
    try:
        await _add_tenants(demo, workdir)
        _stock_specter(demo)
    except BaseException:
        await demo.stop()
        raise
    return demo


async def _add_tenants(demo: Demo, workdir: Path) -> None:
    gw = demo.gw
    service = TenantService(gw.store, gw.adapters)
    await service.add_account({
        "id": catalogue.ACCOUNT_ID, "sbm_id": catalogue.SBM_ID, "api_user_id": catalogue.API_USER,
        "user_key": catalogue.USER_KEY, "integration_key": catalogue.INTEGRATION_KEY, "base_url": demo.specter.url})
    prefixes: list[str] = []
    for name in gw.adapters.names:
        platform = gw.adapters.platform(name)
        if platform.demo_shop is None:
            continue
        tenant_id, shop_name, prefix = catalogue.SHOPS.get(name, (f"demo-{name.replace('_', '-')}", name, ""))
        prefix = prefix or suggested_prefix(tenant_id, prefixes)
        shop = platform.demo_shop()
        try:
            connection = await shop.start(workdir / name)
        except Exception as exc:  # noqa: BLE001 - the demo goes on without it, and says why
            demo.left_out[name] = str(exc) or type(exc).__name__
            continue
        try:
            await shop.add_products([msgspec.structs.replace(p, stock=SHOP_STOCK) for p in catalogue.PRODUCTS])
            tenant = await service.add_tenant({"id": tenant_id, "name": shop_name, "platform": name,
                                               "account_id": catalogue.ACCOUNT_ID, "shop": connection,
                                               "settings": {"external_order_prefix": prefix}})
        except BaseException:
            await shop.stop()
            raise
        prefixes.append(prefix)
        demo.tenants.append(DemoTenant(tenant=tenant, title=platform.title or name, shop=shop))
        await shop.attach(demo.url, tenant.id, tenant.inbound_token)
        await connect_tenant(gw, tenant)
        await create_service_articles(gw, tenant)  # as the connection test's button does


def _stock_specter(demo: Demo) -> None:
    """Specter's user enters the catalogue with its stock: flagged, called back, read by the
    gateway and written to every shop."""
    demo.account.edit_articles([
        (p.article_no, {"name": p.name, "price_ex_vat": p.price_ex_vat, "vat_percent": p.vat_percent}, {"1": p.stock})
        for p in catalogue.PRODUCTS])
