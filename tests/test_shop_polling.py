"""A shop's lost or disabled webhooks: the gateway asks for changed orders now and then (from
the moment the tenant was connected), so an order whose webhook never came still reaches
Specter, once; a platform that cannot tell is not asked."""

from __future__ import annotations

from gateway.engine.poller import poll_once
from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant
from tests.plugins import memo_platform
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack


async def test_an_order_whose_webhook_never_came_is_found_by_the_first_poll_after_connect(tmp_path):
    async with running_stack(tmp_path) as stack:  # connected: the shop's orders from now on are the gateway's
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1"))
        await stack.settle()
        woo = shop.rest
        for hook in (await woo.request("GET", "webhooks")).data:  # WooCommerce disabled them
            await woo.request("PUT", f"webhooks/{hook['id']}", body={"status": "disabled"})
        await shop.control("POST", "clock", {"advance_s": -600})  # an order from before the gateway was connected
        history = await shop.checkout(order_payload([(ts["id"], 1)]))
        await shop.control("POST", "clock", {"advance_s": 600})
        order = await shop.checkout(order_payload([(ts["id"], 2)]))
        await stack.settle()
        assert stack.sim.orders == {}, "no webhook: nothing happened yet"

        await poll_once(stack.gw)  # the first poll looks back to "connect", not before
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == str(order["number"]) != str(history["number"])
        assert {hook.status for hook in shop.fake.state.webhooks.values()} == {"active"}  # and they deliver again

        await poll_once(stack.gw)  # found again, changed by the number written back: nothing to do
        events = await stack.settle()
        assert len(stack.sim.orders) == 1
        polled = sorted(e.status for e in events
                        if e.kind == "shop.order" and e.payload["data"].get("found_by") == "poll")
        assert polled == ["done", "skipped"]
        await poll_once(stack.gw)  # unchanged since: nothing new at all
        events = await stack.settle()
        assert len([e for e in events if e.kind == "shop.order" and e.payload["data"].get("found_by") == "poll"]) == 2
        # Writing Specter's number back moved the order's date_modified (every save does), so the
        # second look found it once more (as did its webhook), and wrote nothing: one PUT in all.
        assert shop.fake.state.writes.count(("PUT", f"/wp-json/wc/v3/orders/{order['id']}")) == 1


async def test_a_platform_that_cannot_list_changed_orders_is_not_asked(gateway_config, caplog):
    gateway_config.plugins = ["tests.plugins.memo_platform"]  # memo leaves changed_orders out
    gw = await Gateway.create(gateway_config, runner="none")
    try:
        await gw.store.put_account(SpecterAccount(id="acct", sbm_id=1, api_user_id="u", user_key="k",
                                                  integration_key="i"))
        await gw.store.put_tenant(Tenant(id="m1", platform="memo", account_id="acct"))
        memo_platform.ASKED.clear()
        for _ in range(2):  # the first look and a later one
            assert await poll_once(gw) == 3  # Specter's three pulls, nothing from the shop
        assert [operation for operation, _ in memo_platform.ASKED] == ["open_shop"]
        assert await gw.store.get_cursor("m1", "orders") is None
        assert "what changed failed" not in caplog.text
    finally:
        await gw.close()
