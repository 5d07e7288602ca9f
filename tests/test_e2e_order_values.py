"""The values an order carries to Specter, end to end: a WooCommerce shop -> gateway -> Specter
simulator, by the tenant's settings."""

from __future__ import annotations

from tests.stack import running_stack


async def test_only_orders_paid_at_checkout_go_as_prepaid(tmp_path):
    async with running_stack(tmp_path) as stack:
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
