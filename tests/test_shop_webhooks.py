"""The shop's webhooks kept healthy, end to end with the fake WooCommerce: a webhook the shop
disabled after failed deliveries is re-activated by the next poll, a changed secret and a moved
gateway reach the shop's webhooks, and removing the tenant removes them (and no other)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from gateway.engine.poller import poll_once
from tests.shops.woocommerce import WooCommerceDriver, order_payload, product_fields, woocommerce
from tests.stack import Stack, running_stack, wait_for


def webhook_writes(shop: WooCommerceDriver) -> list[tuple[str, str]]:
    return [w for w in shop.fake.state.writes if "/webhooks" in w[1]]


async def orders_in_specter(stack: Stack, count: int) -> None:
    await wait_for(lambda: _count(stack, count), 20, f"{count} orders in Specter")


async def _count(stack: Stack, count: int) -> bool:
    return len(stack.sim.orders) == count


async def test_webhooks_the_shop_disabled_while_the_gateway_was_down_are_re_activated_by_the_next_poll(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()

        await stack.stop_gateway()
        for _ in range(8):
            await shop.checkout(order_payload([(ts["id"], 1)]))
        created = await shop.control("GET", "deliveries?topic=order.created")
        assert [d["status"] for d in created] == [0] * 7  # the eighth order's was never sent
        assert [d["webhook_status"] for d in created] == ["active"] * 6 + ["disabled"]
        await stack.start_gateway(same_port=True)
        await poll_once(stack.gw)  # (the one at start-up may have been first: this one finds all well)

        await orders_in_specter(stack, 8)  # found by the poll: the webhooks were silent
        assert {h.status for h in shop.fake.state.webhooks.values()} == {"active"}
        status, health = await stack.admin("GET", f"/tenants/{stack.tenant_id}/webhooks")
        assert status == 200 and health["healthy"] and health["error"] is None
        repaired = sorted((r["topic"], r["found"], r["repaired"]) for r in health["repairs"])
        assert repaired == [(topic, "disabled", "re-activated")
                            for topic in ("order.created", "order.updated", "product.updated")]
        assert "fingerprint" not in str(health)

        before = len(webhook_writes(shop))
        await poll_once(stack.gw)  # all is well now: nothing written
        assert len(webhook_writes(shop)) == before
        await shop.checkout(order_payload([(ts["id"], 1)]))  # delivered again
        await orders_in_specter(stack, 9)
        assert (await shop.control("GET", "deliveries?topic=order.created"))[-1]["status"] == 200


async def test_a_changed_webhook_secret_reaches_the_shops_webhooks_at_the_next_poll_and_at_connect(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()
        hooks = shop.fake.state.webhooks.values()
        assert {h.secret for h in hooks} == {"fake-webhook-secret"}

        status, _ = await stack.admin("PATCH", f"/tenants/{stack.tenant_id}",
                                      {"shop": {"webhook_secret": "rotated-secret-1"}})
        assert status == 200
        await poll_once(stack.gw)
        assert {h.secret for h in hooks} == {"rotated-secret-1"}
        _, health = await stack.admin("GET", f"/tenants/{stack.tenant_id}/webhooks")
        assert {(w["repaired"], w["active"]) for w in health["webhooks"]} == {("secret updated", True)}
        written = len(webhook_writes(shop))
        await poll_once(stack.gw)  # written once: the next poll has nothing to change
        assert len(webhook_writes(shop)) == written

        order = await shop.checkout(order_payload([(ts["id"], 1)]))  # signed with the new secret: accepted
        await orders_in_specter(stack, 1)
        assert (await shop.control("GET", "deliveries?topic=order.created"))[-1]["status"] == 200
        assert next(iter(stack.sim.orders.values())).external_order_no == str(order["number"])

        await stack.admin("PATCH", f"/tenants/{stack.tenant_id}", {"shop": {"webhook_secret": "rotated-secret-2"}})
        status, connected = await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")
        assert status == 200 and any("secret updated" in line for line in connected["webhooks"])
        assert {h.secret for h in hooks} == {"rotated-secret-2"}


async def test_a_gateway_moved_to_another_url_moves_the_shops_webhooks(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()
        old_url = stack.events_url
        await stack.stop_gateway()
        await stack.start_gateway()  # on another port: its public URL changed
        await poll_once(stack.gw)  # (or the one at start-up, whichever came first)
        assert stack.events_url != old_url
        assert {(h.delivery_url, h.status) for h in shop.fake.state.webhooks.values()} == {(stack.events_url, "active")}
        _, health = await stack.admin("GET", f"/tenants/{stack.tenant_id}/webhooks")
        assert health["url"] == stack.events_url
        assert {(r["topic"], r["repaired"]) for r in health["repairs"]} == {
            (h.topic, "moved to the gateway's new URL") for h in shop.fake.state.webhooks.values()}
        await shop.checkout(order_payload([(ts["id"], 1)]))
        await orders_in_specter(stack, 1)


@pytest.mark.parametrize("how", ["cli", "api"])
async def test_removing_a_tenant_deletes_its_webhooks_from_the_shop_and_no_other(tmp_path, how):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        erp = await shop.rest.create_webhook("order.created", "http://127.0.0.1:9/erp", "erp-secret")
        ours = sorted(h.id for h in shop.fake.state.webhooks.values() if h.delivery_url == stack.events_url)
        assert ours

        if how == "cli":  # the operator's shell knows nothing of the gateway's public URL
            env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(stack.config.data_dir),
                                "SPECTER_GATEWAY_SECRET_KEY": stack.config.secret_key}
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "gateway.cli", "tenant", "remove", stack.tenant_id],
                env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            lines = done.stdout.splitlines()
            assert lines[-1] == f"removed tenant {stack.tenant_id}" and done.stderr == ""
            deleted = lines[:-1]
        else:
            status, body = await stack.admin("DELETE", f"/tenants/{stack.tenant_id}")
            assert status == 200 and body["warning"] is None
            deleted = body["webhooks"]
        assert sorted(int(line.rsplit(" ", 1)[1]) for line in deleted) == ours
        assert list(shop.fake.state.webhooks) == [erp["id"]]
        status, _ = await stack.admin("GET", f"/tenants/{stack.tenant_id}")
        assert status == 404


async def test_a_tenant_whose_shop_is_gone_is_removed_with_a_warning(tmp_path):
    async with running_stack(tmp_path) as stack:
        await stack.driver.break_shop()
        status, body = await stack.admin("DELETE", f"/tenants/{stack.tenant_id}")
        assert status == 200 and body["webhooks"] == []
        assert body["warning"].startswith("the shop's webhooks could not be deleted")
        assert stack.events_url in body["warning"]
        assert (await stack.admin("GET", f"/tenants/{stack.tenant_id}"))[0] == 404
