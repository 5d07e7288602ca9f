"""Shop to Specter, end to end over loopback: fake WooCommerce -> gateway -> Specter simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.stack import order_payload, product, running_stack, wait_for

RUNNERS = ["inprocess", "arq"]


@pytest.mark.parametrize("runner", RUNNERS)
async def test_an_order_reaches_specter_once_with_its_rows_and_the_number_comes_back(tmp_path, runner):
    async with running_stack(tmp_path, runner) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1", price="100.00"))
        order = await stack.place_order(order=order_payload([(ts["id"], 2)]), created_twice=True)
        events = await stack.settle()

        orders = list(stack.sim.orders.values())
        assert len(orders) == 1, "the order.created fired twice and order.updated: still one order"
        sent = orders[0]
        assert sent.fields["externalOrderNo"] == str(order["number"])
        assert sent.fields["payTypeIdentifier"] == "K"
        assert sent.fields["payTypeReference"] == "klarna-ref-1"
        rows = [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows]
        assert rows == [("TS-1", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        customer = stack.sim.customers[sent.customer_id]
        assert (customer.name, customer.email) == ("Åsa Öberg", "asa@example.se")
        assert customer.fields["firstName"] == "Åsa"  # arrived intact through Latin-1

        shop_order = stack.shop.state.orders[order["id"]]
        meta = {m["key"]: m["value"] for m in shop_order["meta_data"]}
        assert meta["_specter_order_no"] == sent.order_id
        assert not [e for e in events if e.status == "dead"], [(e.kind, e.last_error) for e in events]
