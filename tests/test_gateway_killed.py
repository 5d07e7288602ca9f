"""A gateway killed (SIGKILL) right after `tenant connect`, before it ever polled the shop, loses
no order: the shop's orders are looked for from the moment of connecting, and the webhooks the
shop disabled while the gateway was down are re-activated by the first poll after the restart.
The gateway runs as a process of its own; the Specter simulator and the fake shop in the test."""

from __future__ import annotations

from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from adapters.woocommerce.fake_shop.app import RunningFakeShop, start_fake_woocommerce
from gateway.simulators.specter.app import start_simulator
from tests.gateway_process import GatewayProcess
from tests.shops.woocommerce import order_payload, product_fields
from tests.stack import ACCOUNT_SPEC, SBM_ID, SERVICE_ARTICLES, wait_for

TENANT = "woo-k"
ORDERS_WHILE_DOWN = 8  # the seventh failed delivery in a row disables a webhook; the eighth is never sent


async def admin(http: aiohttp.ClientSession, gateway: GatewayProcess, method: str, path: str,
                json: Any = None) -> Any:
    async with http.request(method, gateway.url + "/admin/api" + path, json=json,
                            headers=gateway.admin_headers()) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json(content_type=None)


async def control(http: aiohttp.ClientSession, fake: RunningFakeShop, method: str, path: str,
                  json: Any = None) -> Any:
    async with http.request(method, fake.url + "_control/" + path, json=json) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json()


async def test_a_gateway_killed_before_its_first_poll_loses_no_order(tmp_path, http):
    specter = await start_simulator([ACCOUNT_SPEC])
    fake = await start_fake_woocommerce()
    gateway = GatewayProcess(tmp_path / "gateway", Fernet.generate_key().decode())
    try:
        async with http.post(f"{specter.url}_control/{SBM_ID}/service-articles",
                             json=[{"articleNo": no, "name": no.title()} for no in SERVICE_ARTICLES]) as resp:
            assert resp.status < 300
        await gateway.start(http)  # its start-up poll finds no tenant; the next is minutes away
        await admin(http, gateway, "POST", "/accounts", {
            "id": "acct", "sbm_id": SBM_ID, "api_user_id": "api-user", "user_key": "user-key-1",
            "integration_key": "integration-key-1", "base_url": specter.url})
        await admin(http, gateway, "POST", "/tenants", {
            "id": TENANT, "platform": "woocommerce", "account_id": "acct",
            "shop": {"url": fake.url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake",
                     "webhook_secret": "fake-webhook-secret"}})
        await admin(http, gateway, "POST", f"/tenants/{TENANT}/connect")
        product = await control(http, fake, "POST", "products", product_fields("TS-1", stock=100))

        await gateway.kill()
        placed = [await control(http, fake, "POST", "orders", {"order": order_payload([(product["id"], 1)])})
                  for _ in range(ORDERS_WHILE_DOWN)]
        created = await control(http, fake, "GET", "deliveries?topic=order.created")
        assert [d["status"] for d in created] == [0] * 7  # nobody answered, and then the shop stopped sending
        assert [d["failure_count"] for d in created] == [1, 2, 3, 4, 5, 6, 6]
        assert created[-1]["webhook_status"] == "disabled"

        await gateway.start(http)  # the same data and port: its first poll of the shop
        numbers = sorted(str(order["number"]) for order in placed)

        async def all_in_specter() -> bool:
            orders = specter.state.account(SBM_ID).orders.values()
            return sorted(o.external_order_no for o in orders) == numbers

        await wait_for(all_in_specter, 30, "every order placed while the gateway was down to reach Specter")
        health = await admin(http, gateway, "GET", f"/tenants/{TENANT}/webhooks")
        assert health["healthy"]
        repaired = {(r["topic"], r["found"], r["repaired"]) for r in health["repairs"]}
        assert ("order.created", "disabled", "re-activated") in repaired
        assert {hook.status for hook in fake.state.webhooks.values()} == {"active"}

        after = await control(http, fake, "POST", "orders", {"order": order_payload([(product["id"], 1)])})
        numbers = sorted([*numbers, str(after["number"])])
        await wait_for(all_in_specter, 30, "an order placed after the restart to reach Specter by its webhook")
        delivered = await control(http, fake, "GET", "deliveries?topic=order.created")
        assert delivered[-1]["id"] == after["id"] and delivered[-1]["status"] == 200
    finally:
        await gateway.stop()
        await fake.stop()
        await specter.stop()
