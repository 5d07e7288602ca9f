"""The whole system on loopback for end-to-end tests: the Specter simulator with one account,
the gateway under uvicorn, (for the arq runner) a real arq worker on the real Redis, and the
tenants' shops.

:func:`running_stack` starts ``shops`` shops of one platform through their drivers (see
tests/shops), each made a tenant on the account and connected; a test that runs its own shop
(or a platform without a driver) starts none and adds its tenant with :meth:`Stack.add_tenant`.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from gateway.config import GatewayConfig
from gateway.services import Gateway
from gateway.simulators.specter.app import RunningSimulator, start_simulator
from gateway.simulators.specter.state import AccountState
from gateway.store.base import Event, EventFilter
from tests.gateway_process import ADMIN_TOKEN, RunningGateway, start_gateway
from tests.shops import ShopDriver, new_driver

SBM_ID = 1001
ACCOUNT_SPEC = f"{SBM_ID}:api-user:user-key-1:integration-key-1"
SERVICE_ARTICLES = ["FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT", "PRESENTINSLAG"]
SETTLED = ("done", "dead", "skipped")
# Each checkout running tests at once on one Redis gives its own database here.
REDIS_TEST_URL = os.environ.get("SPECTER_GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@dataclass
class Stack:
    specter: RunningSimulator
    gateway: RunningGateway
    http: aiohttp.ClientSession
    config: GatewayConfig
    runner: str = "inprocess"
    tenant_id: str = ""  # the first tenant
    tenant_ids: list[str] = field(default_factory=list)  # every tenant, in the order added
    drivers: dict[str, ShopDriver] = field(default_factory=dict)  # tenant id -> its shop's driver
    order_prefixes: dict[str, str] = field(default_factory=dict)  # tenant id -> its externalOrderNo prefix
    _server_task: asyncio.Task[None] | None = field(default=None, repr=False)
    _worker: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def driver(self) -> ShopDriver:
        """The first shop's driver."""
        return self.drivers[self.tenant_id]

    @property
    def tenants(self) -> list[str]:
        return list(self.tenant_ids)

    @property
    def gw(self) -> Gateway:
        return self.gateway.gateway

    @property
    def sim(self) -> AccountState:
        """The Specter account's state, as a Specter user would see it."""
        return self.specter.state.account(SBM_ID)

    @property
    def events_url(self) -> str:
        """Where the first tenant's shop sends its events."""
        return f"{self.gateway.url}/shops/{self.tenant_id}/events"

    def external_order_no(self, tenant_id: str, number: str) -> str:
        """The externalOrderNo Specter gets for a shop order's number."""
        return self.order_prefixes.get(tenant_id, "") + number

    async def inbound_token(self, tenant_id: str | None = None) -> str:
        tenant = await self.gw.store.get_tenant(tenant_id or self.tenant_id)
        assert tenant is not None
        return tenant.inbound_token

    async def admin(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.http.request(method, self.gateway.url + "/admin/api" + path, json=json, headers=headers) as r:
            text = await r.text()
            return r.status, (await r.json(content_type=None)) if text else None

    async def add_tenant(self, tenant_id: str, platform: str, shop: dict[str, Any], *, connect: bool = True,
                         **settings: Any) -> None:
        """A tenant on the account for a shop at ``shop`` (its connection settings); connecting
        registers the shop's webhooks and Specter's callbacks."""
        status, body = await self.admin("POST", "/tenants", {
            "id": tenant_id, "platform": platform, "account_id": "acct", "shop": shop, "settings": settings})
        assert status == 201, body
        self.tenant_ids.append(tenant_id)
        self.tenant_id = self.tenant_id or tenant_id
        self.order_prefixes[tenant_id] = settings.get("external_order_prefix", "")
        if connect:
            status, body = await self.admin("POST", f"/tenants/{tenant_id}/connect")
            assert status == 200, body

    async def set_settings(self, **settings: Any) -> None:
        status, body = await self.admin("PATCH", f"/tenants/{self.tenant_id}", {"settings": settings})
        assert status == 200, body

    async def specter_control(self, method: str, path: str, json: Any = None) -> Any:
        """Act in Specter as its user (or a shop till) would."""
        async with self.http.request(method, f"{self.specter.url}_control/{SBM_ID}/{path}", json=json) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    async def events(self, tenant_id: str | None = None, **query: Any) -> list[Event]:
        return await self.gw.store.list_events(EventFilter(tenant_id=tenant_id or self.tenant_id, limit=1000, **query))

    async def all_events(self) -> list[Event]:
        """Every event, account-level ones (Specter's callbacks) included."""
        events = []
        for tenant_id in self.tenant_ids:
            events += await self.events(tenant_id)
        return events + await self.gw.store.list_events(EventFilter(account_id="acct", limit=1000))

    async def settle(self, timeout: float = 20.0) -> list[Event]:
        """Wait until no event of the first tenant is pending, running or waiting to retry soon."""
        try:
            return await wait_for(lambda: _settled(self.events()), timeout, "events to settle")
        except AssertionError:
            open_ = [(e.id, e.kind, e.status, e.attempts, e.last_error) for e in await self.events()
                     if e.status not in SETTLED]
            raise AssertionError(f"events did not settle in {timeout}s: {open_}") from None

    async def settle_all(self, timeout: float = 20.0) -> list[Event]:
        """Wait until Specter's callbacks have been made and no event at all is open (the
        shops' and the account's pulls)."""
        await self.specter.callbacks.idle()
        return await wait_for(lambda: _settled(self.all_events()), timeout, "all events to settle")

    async def stop_gateway(self) -> None:
        self.gateway.server.should_exit = True
        if self._server_task is not None:
            await self._server_task
        self._server_task = None

    async def start_gateway(self, *, same_port: bool = False) -> None:
        """Start the gateway again on the same data (a restart after a crash or an upgrade); on
        the port it had with ``same_port``, so the shops' webhooks reach it again."""
        port = int(self.gateway.url.rsplit(":", 1)[1]) if same_port else None
        self.gateway, self._server_task = await start_gateway(self.config, runner=self.runner, port=port)
        for tenant_id, driver in self.drivers.items():  # it listens on another port now
            await driver.attach(self.gateway.url, tenant_id, await self.inbound_token(tenant_id))


async def _settled(events: Awaitable[list[Event]]) -> list[Event] | None:
    """The events once none is open (an event retrying in more than 30 s counts as settled)."""
    found = await events
    soon = time.time() + 30
    if all(e.status in SETTLED or (e.status == "retry" and e.next_attempt_at > soon) for e in found):
        return found
    return None


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result is not None and result is not False:  # an empty list is an answer
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running_stack(tmp_path: Path, runner: str = "inprocess", shops: int = 1, platform: str = "woocommerce",
                        mixed: list[str] | None = None, poll_seconds: float | None = None, database_url: str = "",
                        service_articles: bool = True, **settings: Any) -> AsyncIterator[Stack]:
    """The system with ``shops`` shops of ``platform`` (see tests/shops), tenants woo1, woo2, …
    (abi1, php1, … for the others) on one Specter account, each with its own externalOrderNo
    prefix when there are several; ``settings`` are every tenant's. ``mixed`` names one platform
    per shop instead (tenants woo1, abi2, …). ``poll_seconds``: how often the gateway asks
    Specter and the shops for changes (by default only at start-up, as tests drive it).
    ``database_url``: the gateway's database (see tests/databases.py; default SQLite).
    ``service_articles``: whether Specter has the service articles (FRAKT, RABATT, …) already."""
    specter = await start_simulator([ACCOUNT_SPEC])
    http = aiohttp.ClientSession()
    config = GatewayConfig(
        data_dir=tmp_path / "gateway", admin_token=ADMIN_TOKEN, secret_key=Fernet.generate_key().decode(),
        redis_url=REDIS_TEST_URL if runner == "arq" else "", reconcile_seconds=0.5, retry_base_seconds=0.2,
        database_url=database_url, lease_seconds=2,
    )
    if poll_seconds is not None:
        config.poll_seconds = poll_seconds
    if runner == "arq":
        config.queue_name = f"test-{uuid.uuid4().hex[:8]}"
    gateway, server_task = await start_gateway(config, runner=runner)
    stack = Stack(specter, gateway, http, config, runner=runner, _server_task=server_task)
    drivers: list[ShopDriver] = []
    try:
        if runner == "arq":
            from gateway.jobs.arq_runner import run_worker

            stack._worker = asyncio.create_task(run_worker(config, handle_signals=False))
        if service_articles:
            await _create_service_articles(stack)
        status, body = await stack.admin("POST", "/accounts", {
            "id": "acct", "sbm_id": SBM_ID, "api_user_id": "api-user", "user_key": "user-key-1",
            "integration_key": "integration-key-1", "base_url": specter.url,
        })
        assert status == 201, body
        names = mixed or [platform] * shops
        for n, name in enumerate(names, start=1):
            driver = new_driver(name)
            drivers.append(driver)
            await driver.start(tmp_path, http)
            tenant_id = f"{driver.tenant_prefix}{n}"
            prefix = {"external_order_prefix": f"S{n}-"} if len(names) > 1 else {}
            tenant_settings = prefix | settings
            # Connected after attach, as the ShopDriver lifecycle has it.
            await stack.add_tenant(tenant_id, driver.platform, driver.connection(), connect=False, **tenant_settings)
            stack.drivers[tenant_id] = driver
            await driver.attach(gateway.url, tenant_id, await stack.inbound_token(tenant_id))
            status, body = await stack.admin("POST", f"/tenants/{tenant_id}/connect")
            assert status == 200, body
        yield stack
    finally:
        if stack._worker is not None:
            stack._worker.cancel()
            await asyncio.gather(stack._worker, return_exceptions=True)
        if stack._server_task is not None:
            await stack.stop_gateway()
        for driver in drivers:
            await driver.stop()
        await http.close()
        await specter.stop()


async def _create_service_articles(stack: Stack) -> None:
    async with stack.http.post(
        f"{stack.specter.url}_control/{SBM_ID}/service-articles",
        json=[{"articleNo": no, "name": no.title()} for no in SERVICE_ARTICLES],
    ) as resp:
        assert resp.status < 400, await resp.text()
