"""Two nodes on one PostgreSQL and one Redis, as deploy/ lays them out: each node a ``serve`` and
a ``worker`` process, behind a load balancer (tests/balancer.py) that shops and Specter call. One
node is killed (SIGKILL, both processes) while orders are on their way to a slow Specter and
stock changes there; the other takes over its leases and its events within seconds. Every order
reaches Specter exactly once, and every shop ends with Specter's levels.

The processes are real ``specter-gateway`` processes; the Specter simulator, the two fake
WooCommerce shops and the balancer run in the test."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from gateway.secrets import Cipher
from gateway.simulators.specter.app import RunningSimulator, start_simulator
from gateway.simulators.specter.faults import FaultConfig
from gateway.store.base import EventFilter
from gateway.store.postgres import PostgresStore
from tests.balancer import Balancer
from tests.databases import postgres_database
from tests.gateway_process import ADMIN_TOKEN, GatewayProcess
from tests.shops import ShopDriver, new_driver
from tests.stack import ACCOUNT_SPEC, REDIS_TEST_URL, SBM_ID, SERVICE_ARTICLES, wait_for

SKUS = ["NODE-1", "NODE-2", "NODE-3"]
ORDERS_BEFORE, ORDERS_AFTER = 10, 8  # placed before the kill, and after it
OPEN = ("pending", "running", "retry")


class Deployment:
    """What the test talks to: the balancer's admin API, Specter's control API, the shops."""

    def __init__(self, http: aiohttp.ClientSession, balancer: Balancer, specter: RunningSimulator):
        self.http = http
        self.balancer = balancer
        self.specter = specter
        self.shops: dict[str, ShopDriver] = {}  # tenant id -> its shop

    async def admin(self, method: str, path: str, json: Any = None) -> Any:
        async with self.http.request(method, f"{self.balancer.url}/admin/api{path}", json=json,
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json(content_type=None)

    async def specter_control(self, method: str, path: str, json: Any = None) -> Any:
        async with self.http.request(method, f"{self.specter.url}_control/{SBM_ID}/{path}", json=json) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json(content_type=None)

    def specter_level(self, sku: str) -> int:
        return sum(self.specter.state.account(SBM_ID).stock_view(sku)[1].values())

    async def shop_levels(self) -> dict[tuple[str, str], int | None]:
        levels: dict[tuple[str, str], int | None] = {}
        for tenant_id, shop in self.shops.items():
            for sku in SKUS:
                product = await shop.product(sku)
                levels[tenant_id, sku] = product.stock if product else None
        return levels

    async def levels_right(self) -> bool:
        return all(level == self.specter_level(sku) for (_, sku), level in (await self.shop_levels()).items())


def node(tmp_path: Path, n: int, key: str, settings: dict[str, str]) -> tuple[GatewayProcess, GatewayProcess]:
    return (GatewayProcess(tmp_path / f"node{n}-serve", key, settings=settings),
            GatewayProcess(tmp_path / f"node{n}-worker", key, settings=settings, command="worker"))


async def test_a_node_killed_mid_flow_loses_no_order_sends_none_twice_and_leaves_every_level_right(tmp_path, http):
    key = Fernet.generate_key().decode()
    async with postgres_database() as database_url, AsyncExitStack() as cleanup:
        specter = await start_simulator([ACCOUNT_SPEC])
        cleanup.push_async_callback(specter.stop)
        balancer = Balancer()
        await balancer.start()
        cleanup.push_async_callback(balancer.stop)
        deployment = Deployment(http, balancer, specter)
        await deployment.specter_control("POST", "service-articles",
                                         [{"articleNo": no, "name": no.title()} for no in SERVICE_ARTICLES])

        settings = {"database_url": database_url, "redis_url": REDIS_TEST_URL, "public_url": balancer.url,
                    "queue_name": f"test-nodes-{uuid.uuid4().hex[:8]}", "lease_seconds": "2", "poll_seconds": "5",
                    "workers": "4"}
        nodes = [node(tmp_path, n, key, settings) for n in range(2)]
        for process in (p for pair in nodes for p in pair):
            cleanup.push_async_callback(process.stop)
        await asyncio.gather(*(p.start(http) for pair in nodes for p in pair))  # they migrate together
        balancer.backends = [serve.url for serve, _ in nodes]

        # One Specter account, two WooCommerce shops on it, each with the three articles.
        await deployment.admin("POST", "/accounts", {
            "id": "acct", "sbm_id": SBM_ID, "api_user_id": "api-user", "user_key": "user-key-1",
            "integration_key": "integration-key-1", "base_url": specter.url})
        for n in (1, 2):
            shop = new_driver("woocommerce")
            await shop.start(tmp_path, http)
            cleanup.push_async_callback(shop.stop)
            tenant_id = f"woo{n}"
            await deployment.admin("POST", "/tenants", {
                "id": tenant_id, "platform": "woocommerce", "account_id": "acct", "shop": shop.connection(),
                "settings": {"external_order_prefix": f"S{n}-", "export_product_on_change": False}})
            await deployment.admin("POST", f"/tenants/{tenant_id}/connect")
            deployment.shops[tenant_id] = shop
            for sku in SKUS:
                await shop.create_product(sku, stock=0)
        for sku in SKUS:
            await deployment.specter_control("POST", "articles", {"articleNo": sku, "name": f"Artikel {sku}",
                                                                  "priceExclVat": "100.00", "stock": {"1": 100}})
        await wait_for(deployment.levels_right, 60, "Specter's levels to reach both shops")

        # Mid-flow: Specter answers slowly, orders arrive in both shops, a level changes.
        specter.faults.configure(FaultConfig(latency_ms=150))
        placed: list[str] = []  # externalOrderNo of every order placed

        async def place(n: int) -> None:
            tenant_id = f"woo{1 + n % 2}"
            order = await deployment.shops[tenant_id].place_order([(SKUS[n % len(SKUS)], 1 + n % 2)])
            placed.append(f"S{1 + n % 2}-{order.number}")

        def in_specter() -> Counter[str]:
            return Counter(o.external_order_no for o in specter.state.account(SBM_ID).orders.values())

        await asyncio.gather(*(place(n) for n in range(ORDERS_BEFORE)))
        await deployment.specter_control("POST", "stock", {"articleNo": SKUS[0], "site": "1", "inStock": 80})
        async def some_in_specter() -> bool:
            return len(in_specter()) >= 1

        await wait_for(some_in_specter, 60, "the first order to reach Specter")
        killed_serve, killed_worker = nodes[0]
        await asyncio.gather(killed_serve.kill(), killed_worker.kill())
        assert len(in_specter()) < ORDERS_BEFORE, "the node died with orders still on their way"

        await asyncio.gather(*(place(n) for n in range(ORDERS_BEFORE, ORDERS_BEFORE + ORDERS_AFTER)))
        await deployment.specter_control("POST", "stock", {"articleNo": SKUS[1], "site": "1", "inStock": 90})

        # The survivor finishes everything: every order once, no event left open.
        store = PostgresStore(database_url, Cipher(key.encode()), pool_size=2)
        await store.open()
        cleanup.push_async_callback(store.close)

        async def settled() -> bool:
            counts = await store.count_events()
            return set(in_specter()) == set(placed) and not any(counts[s] for s in OPEN)

        await wait_for(settled, 90, "every order to reach Specter and every event to settle")
        await wait_for(deployment.levels_right, 30, "every shop to have Specter's levels")

        assert len(placed) == ORDERS_BEFORE + ORDERS_AFTER
        assert in_specter() == Counter(placed), "an order reached Specter twice"
        assert {e.status for e in await store.list_events(EventFilter(limit=10_000))} <= {"done", "skipped"}
        assert await deployment.shop_levels() == {(t, sku): deployment.specter_level(sku)
                                                  for t in deployment.shops for sku in SKUS}
        assert deployment.specter_level(SKUS[0]) < 80 and deployment.specter_level(SKUS[1]) < 90  # orders booked

        # The survivor's processes hold what the dead node held, within a few lease times.
        survivors = {str(p.proc.pid) for p in nodes[1] if p.proc is not None}

        async def survivors_hold_the_leases() -> bool:
            leases = {lease.name: lease.holder.split(":")[1] for lease in await store.list_leases()}
            return set(leases) == {"poller", "reconciler"} and set(leases.values()) <= survivors

        await wait_for(survivors_hold_the_leases, 10, "the surviving node to hold the poller's and reconciler's leases")
        async with http.get(nodes[1][0].url + "/readyz") as resp:
            assert resp.status == 200 and (await resp.json())["database"] == "postgresql"
