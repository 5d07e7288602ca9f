"""The values an order carries to Specter, end to end: a WooCommerce shop (an Abicart shop where
a test says so) -> gateway -> Specter simulator, by the tenant's settings."""

from __future__ import annotations

import pytest

from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack


@pytest.mark.parametrize("platform", ["woocommerce", "abicart"])
async def test_only_orders_paid_at_checkout_go_as_prepaid(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        shop = stack.driver
        await shop.create_product("TS-1")
        # Each is paid as far as the shop says (WooCommerce dates cash on delivery as paid once
        # it is processed); only Klarna was paid at checkout.
        numbers = {payment: (await shop.place_order([("TS-1", 1)], payment=payment)).number
                   for payment in ("klarna", "cod", "invoice")}
        await stack.settle()

        sent = {o.fields["externalOrderNo"]: o.fields for o in stack.sim.orders.values()}
        assert {payment: sent[number].get("isPrepayment") for payment, number in numbers.items()} == {
            "klarna": "1", "cod": None, "invoice": None}


async def test_two_instances_of_one_shipping_method_get_their_own_delivery_keys(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1"))

        async def checkout(instance: str, carrier: str) -> str:
            line = {"method_id": "flat_rate", "instance_id": instance, "method_title": carrier, "total": "49.00"}
            order = await shop.checkout(order_payload([(ts["id"], 1)], shipping_lines=[line]))
            return str(order["number"])

        async def delivery_keys(*numbers: str) -> list[str]:
            await stack.settle()
            sent = {o.fields["externalOrderNo"]: o.fields for o in stack.sim.orders.values()}
            return [sent[n]["externalDeliveryMethod"] for n in numbers]

        # Two flat rates, PostNord and DHL, as a shop sets them up in its shipping zones.
        assert await delivery_keys(await checkout("3", "PostNord"), await checkout("4", "DHL")) == [
            "flat_rate:3", "flat_rate:4"]
        await stack.set_settings(delivery_methods={"flat_rate": "PN", "flat_rate:4": "DHL"})
        assert await delivery_keys(await checkout("3", "PostNord"), await checkout("4", "DHL")) == ["PN", "DHL"]
