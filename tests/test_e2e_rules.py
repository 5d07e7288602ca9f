"""Per-tenant rules end to end, for every shop platform: rules saved over the admin API change
what the gateway sends (shop -> gateway -> Specter simulator and back), and each object a rule
changed or skipped names the rule in its event."""

from __future__ import annotations

import pytest

from tests.shops import PLATFORMS, Buyer
from tests.stack import Stack, running_stack, wait_for

B2B_SITE = {"name": "b2b-stock-site", "flow": "order_to_specter",
            "when": {"field": "customer.is_company", "op": "equals", "value": True},
            "actions": [{"do": "set", "field": "stock_site_id", "value": "2"}]}
PREFIX = [{"name": "prefix-w", "flow": "order_to_specter", "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]},
          {"name": "prefix-w-articles", "flow": "article_to_specter",
           "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]}]


async def save_rules(stack: Stack, rules: list[dict]) -> None:
    status, body = await stack.admin("PUT", f"/tenants/{stack.tenant_id}/rules", {"rules": rules})
    assert status == 200, body


def order_events(events, status):
    return [e for e in events if e.kind == "shop.order" and e.status == status]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_b2b_orders_go_to_stock_site_2_and_the_event_names_the_rule(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await save_rules(stack, [B2B_SITE])
        await stack.driver.create_product("TS-1")
        company = await stack.driver.place_order([("TS-1", 1)], buyer=Buyer(email="inköp@acme.se", company="Acme AB"))
        await stack.settle()
        person = await stack.driver.place_order([("TS-1", 1)])
        events = await stack.settle()

        sites = {o.external_order_no: o.stock_site for o in stack.sim.orders.values()}
        assert sites[stack.external_order_no(stack.tenant_id, company.number)] == "2"
        assert sites[stack.external_order_no(stack.tenant_id, person.number)] != "2"
        done = {e.payload["object_id"]: e.result for e in order_events(events, "done")}
        assert done[company.id]["rules"] == ["b2b-stock-site"]
        assert "rules" not in done[person.id]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_prefixed_article_numbers_in_specter_and_stock_back_to_the_shop_unprefixed(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await save_rules(stack, PREFIX)
        await stack.driver.create_product("TS-1", stock=0)
        await stack.driver.place_order([("TS-1", 2)])
        events = await stack.settle()

        [order] = stack.sim.orders.values()
        assert [r.article_no for r in order.rows if r.article_no != "FRAKT"] == ["W-TS-1"]
        assert "W-TS-1" in stack.sim.articles and "TS-1" not in stack.sim.articles
        assert order_events(events, "done")[0].result["rules"] == ["prefix-w"]

        # Stock of W-TS-1 in Specter reaches the shop's TS-1, by the binding the order made.
        await stack.specter_control("POST", "stock", {"articleNo": "W-TS-1", "site": "1", "inStock": 9})

        async def arrived():
            product = await stack.driver.product("TS-1")
            return product is not None and product.stock == 7  # 9 in stock, 2 ordered
        await wait_for(arrived, 20, "TS-1 to get W-TS-1's stock")
        await stack.settle_all()
        pushes = [e for e in await stack.events() if e.kind == "stock.push" and e.status == "done"
                  and e.result.get("sent")]
        assert pushes and all(e.result["rules"] == ["prefix-w"] for e in pushes)
        assert "W-TS-1" not in await stack.driver.skus()


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_orders_paid_with_a_skipped_method_never_reach_specter(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        method = stack.driver.payment_methods["invoice"]
        await save_rules(stack, [{"name": "no-invoice", "flow": "order_to_specter",
                                  "when": {"field": "payment.method", "op": "in", "value": [method, "other"]},
                                  "actions": [{"do": "skip", "reason": "invoice orders are booked by hand"}]}])
        await stack.driver.create_product("TS-1")
        skipped = await stack.driver.place_order([("TS-1", 1)], payment="invoice")
        sent = await stack.driver.place_order([("TS-1", 1)], payment="klarna")
        events = await stack.settle()

        assert [o.external_order_no for o in stack.sim.orders.values()] == [
            stack.external_order_no(stack.tenant_id, sent.number)]
        announced = [e for e in order_events(events, "skipped") if e.payload["object_id"] == skipped.id]
        assert announced  # however often the shop announced it, each time the rule skipped it
        for event in announced:
            assert (event.result["rule"], event.result["rules"]) == ("no-invoice", ["no-invoice"])
            assert "invoice orders are booked by hand" in event.result["reason"]
        assert (await stack.driver.order(skipped.id)).specter_order_no == ""
