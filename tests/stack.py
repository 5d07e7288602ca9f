"""The whole system on loopback for end-to-end tests: the Specter simulator, one or more shops of
one platform (see tests/shops), the gateway under uvicorn, and (for the arq runner) a real arq
worker on the real Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from gateway.config import GatewayConfig
from gateway.simulators.specter.app import RunningSimulator, start_simulator
from gateway.store.base import Event, EventFilter
from tests.conftest import ADMIN_TOKEN, RunningGateway, start_gateway
from tests.shops import ShopDriver, new_driver

SBM_ID = 1001
ACCOUNT_SPEC = f"{SBM_ID}:api-user:user-key-1:integration-key-1"
SERVICE_ARTICLES = ["FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT", "PRESENTINSLAG"]
# Each checkout running tests at once on one Redis gives its own database here.
REDIS_TEST_URL = os.environ.get("SPECTER_GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@dataclass
class Stack:
    specter: RunningSimulator
    shop: Any  # the first shop's fake (a RunningFakeShop for WooCommerce)
    gateway: RunningGateway
    http: aiohttp.ClientSession
    tenant_id: str = "woo1"
    _worker: asyncio.Task | None = field(default=None, repr=False)
    shops: dict[str, Any] = field(default_factory=dict)  # tenant id -> its fake shop
    config: GatewayConfig | None = None
    _server_task: asyncio.Task | None = field(default=None, repr=False)
    runner: str = "inprocess"
    drivers: dict[str, ShopDriver] = field(default_factory=dict)  # tenant id -> its shop's driver
    order_prefixes: dict[str, str] = field(default_factory=dict)  # tenant id -> its externalOrderNo prefix

    @property
    def driver(self) -> ShopDriver:
        """The first shop's driver."""
        return self.drivers[self.tenant_id]

    @property
    def tenants(self) -> list[str]:
        return list(self.drivers)

    def external_order_no(self, tenant_id: str, number: str) -> str:
        """The externalOrderNo Specter gets for a shop order's number."""
        return self.order_prefixes.get(tenant_id, "") + number

    async def inbound_token(self, tenant_id: str | None = None) -> str:
        return (await self.gw.store.get_tenant(tenant_id or self.tenant_id)).inbound_token

    @property
    def gw(self):
        return self.gateway.gateway

    @property
    def sim(self):
        """The Specter account's state, as a Specter user would see it."""
        return self.specter.state.account(SBM_ID)

    async def admin(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.http.request(method, self.gateway.url + "/admin/api" + path, json=json, headers=headers) as r:
            text = await r.text()
            return r.status, (await r.json(content_type=None)) if text else None

    async def set_settings(self, **settings: Any) -> None:
        status, body = await self.admin("PATCH", f"/tenants/{self.tenant_id}", {"settings": settings})
        assert status == 200, body

    async def shop_control(self, method: str, path: str, json: Any = None) -> Any:
        return await self.shop_control_for(self.tenant_id, method, path, json)

    async def shop_control_for(self, tenant_id: str, method: str, path: str, json: Any = None) -> Any:
        """Act in a tenant's fake WooCommerce shop as its admin or a shopper would."""
        url = (self.shops.get(tenant_id) or self.shop).url + "_control/" + path
        async with self.http.request(method, url, json=json) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    async def place_order(self, **options: Any) -> dict:
        """A shopper checks out in the fake WooCommerce shop; webhooks fire as WooCommerce fires them."""
        return await self.shop_control("POST", "orders", options)

    async def events(self, tenant_id: str | None = None, **query: Any) -> list[Event]:
        return await self.gw.store.list_events(EventFilter(tenant_id=tenant_id or self.tenant_id, limit=1000, **query))

    async def all_events(self) -> list[Event]:
        """Every event, account-level ones (Specter's callbacks) included."""
        events = []
        for tenant_id in self.drivers:
            events += await self.events(tenant_id)
        return events + await self.gw.store.list_events(EventFilter(account_id="acct", limit=1000))

    async def settle_all(self, timeout: float = 20.0) -> list[Event]:
        """Wait until Specter's callbacks have been made and no event at all is open (the
        shops' and the account's pulls)."""
        await self.specter.callbacks.idle()

        async def settled():
            events = await self.all_events()
            soon = time.time() + 30
            if all(e.status in ("done", "dead", "skipped") or (e.status == "retry" and e.next_attempt_at > soon)
                   for e in events):
                return events
            return None

        return await wait_for(settled, timeout, "all events to settle")

    async def specter_control(self, method: str, path: str, json: Any = None) -> Any:
        """Act in Specter as its user (or a shop till) would."""
        async with self.http.request(method, f"{self.specter.url}_control/{SBM_ID}/{path}", json=json) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    async def stop_gateway(self) -> None:
        self.gateway.server.should_exit = True
        await self._server_task
        self._server_task = None

    async def start_gateway(self) -> None:
        """Start the gateway again on the same data (a restart after a crash or an upgrade)."""
        self.gateway, self._server_task = await start_gateway(self.config, runner=self.runner)
        for tenant_id, driver in self.drivers.items():  # it listens on another port now
            await driver.attach(self.gateway.url, tenant_id, await self.inbound_token(tenant_id))

    async def settle(self, timeout: float = 20.0) -> list[Event]:
        """Wait until no event of the tenant is pending, running or waiting to retry soon."""
        try:
            return await wait_for(self._settled, timeout, "events to settle")
        except AssertionError:
            open_ = [(e.id, e.kind, e.status, e.attempts, e.last_error) for e in await self.events()
                     if e.status not in ("done", "dead", "skipped")]
            raise AssertionError(f"events did not settle in {timeout}s: {open_}") from None

    async def _settled(self) -> list[Event] | None:
        events = await self.events()
        soon = time.time() + 30
        if all(e.status in ("done", "dead", "skipped") or (e.status == "retry" and e.next_attempt_at > soon)
               for e in events):
            return events
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


def product(sku: str, price: str = "100.00", stock: int = 10, **fields: Any) -> dict:
    return {"name": f"Produkt {sku}", "sku": sku, "regular_price": price, "manage_stock": True,
            "stock_quantity": stock, "weight": "0.5", **fields}


def order_payload(items: list[tuple[int, int]], **fields: Any) -> dict:
    """A REST order: ``items`` as (product or variation id, quantity)."""
    return {
        "status": "processing",
        "payment_method": "klarna_payments",
        "payment_method_title": "Klarna",
        "transaction_id": "klarna-ref-1",
        "set_paid": True,
        "billing": {"first_name": "Åsa", "last_name": "Öberg", "address_1": "Storgatan 1", "city": "Stockholm",
                    "postcode": "11122", "country": "SE", "email": "asa@example.se", "phone": "0701234567"},
        "shipping": {"first_name": "Åsa", "last_name": "Öberg", "address_1": "Storgatan 1", "city": "Stockholm",
                     "postcode": "11122", "country": "SE"},
        "line_items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": "49.00"}],
        **fields,
    }


@asynccontextmanager
async def running_stack(tmp_path, runner: str = "inprocess", shops: int = 1, platform: str = "woocommerce",
                        **settings: Any) -> AsyncIterator[Stack]:
    """The system with ``shops`` shops of ``platform`` (see tests/shops), tenants woo1, woo2, …
    (abi1, php1, … for the others) on one Specter account, each with its own externalOrderNo
    prefix when there are several."""
    specter = await start_simulator([ACCOUNT_SPEC])
    http = aiohttp.ClientSession()
    drivers: list[ShopDriver] = []
    redis_url = ""
    if runner == "arq":
        redis_url = REDIS_TEST_URL
    config = GatewayConfig(
        data_dir=tmp_path / "gateway", admin_token=ADMIN_TOKEN, secret_key=Fernet.generate_key().decode(),
        redis_url=redis_url, reconcile_seconds=0.5, retry_base_seconds=0.2,
    )
    if runner == "arq":
        config.queue_name = f"test-{uuid.uuid4().hex[:8]}"
    gateway, server_task = await start_gateway(config, runner=runner)
    stack = Stack(specter, None, gateway, http, config=config, _server_task=server_task, runner=runner)
    try:
        for _ in range(shops):
            driver = new_driver(platform)
            drivers.append(driver)
            await driver.start(tmp_path, http)
        stack.shop = drivers[0].fake
        stack.tenant_id = f"{drivers[0].tenant_prefix}1"
        if runner == "arq":
            from gateway.jobs.arq_runner import run_worker

            stack._worker = asyncio.create_task(run_worker(config, handle_signals=False))
        await _create_service_articles(stack)
        status, body = await stack.admin("POST", "/accounts", {
            "id": "acct", "sbm_id": SBM_ID, "api_user_id": "api-user", "user_key": "user-key-1",
            "integration_key": "integration-key-1", "base_url": specter.url,
        })
        assert status == 201, body
        for n, driver in enumerate(drivers, start=1):
            tenant_id = f"{driver.tenant_prefix}{n}"
            prefix = {"external_order_prefix": f"S{n}-"} if shops > 1 else {}
            status, body = await stack.admin("POST", "/tenants", {
                "id": tenant_id, "platform": driver.platform, "account_id": "acct", "shop": driver.connection(),
                "settings": prefix | settings,
            })
            assert status == 201, body
            stack.drivers[tenant_id], stack.shops[tenant_id] = driver, driver.fake
            stack.order_prefixes[tenant_id] = prefix.get("external_order_prefix", "")
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


def shop_client(stack: Stack):
    """A REST client for the fake shop, acting as the shop's admin."""
    from adapters.woocommerce.client import WooCommerceClient

    return WooCommerceClient(stack.shop.url, "ck_fake", "cs_fake", stack.http)
