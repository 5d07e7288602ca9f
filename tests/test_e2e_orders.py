"""Shop to Specter, end to end over loopback: fake WooCommerce -> gateway -> Specter simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.simulators.specter.faults import FaultConfig
from tests.stack import SBM_ID, order_payload, product, running_stack, shop_client, wait_for

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


@pytest.mark.parametrize("runner", RUNNERS)
async def test_lost_answer_and_three_deliveries_still_make_one_order(tmp_path, runner):
    async with running_stack(tmp_path, runner) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1"))
        # Specter stores the order but its answer never arrives (as a timeout looks).
        stack.specter.faults.configure(FaultConfig(lose_answers=1, lose_answers_action="newOrderSubmit"))
        order = await stack.place_order(order=order_payload([(ts["id"], 1)]), created_twice=True)
        events = await stack.settle()

        assert len(stack.sim.orders) == 1
        [sent] = stack.sim.orders.values()
        # Whichever delivery's job sent it again, Specter's duplicate control named the order
        # it already had, and no second order was made.
        exported = [e for e in events if e.kind == "shop.order" and e.status == "done"]
        assert len(exported) == 1
        assert "answer was lost" in " ".join(exported[0].result["notes"])
        assert stack.specter.state.request_counts[f"{SBM_ID}:neworderSubmit".lower()] == 2
        meta = {m["key"]: m["value"] for m in stack.shop.state.orders[order["id"]]["meta_data"]}
        assert meta["_specter_order_no"] == sent.order_id


async def test_order_announced_before_its_line_items_is_exported_complete(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1"))
        bok = await stack.shop_control("POST", "products", product("BOK-1", price="200.00"))
        await stack.place_order(order=order_payload([(ts["id"], 1), (bok["id"], 3)]), created_before_items=True)
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert [(r.article_no, r.quantity) for r in sent.rows if r.article_no != "FRAKT"] == [
            ("TS-1", Decimal(1)), ("BOK-1", Decimal(3))]


async def test_a_specter_outage_of_a_minute_delays_orders_but_loses_none(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1", stock=50))
        await stack.settle()
        now = [0.0]
        stack.specter.faults.clock = lambda: now[0]
        stack.specter.faults.configure(FaultConfig(down_for_s=60))
        for _ in range(3):
            await stack.place_order(order=order_payload([(ts["id"], 1)]))

        async def all_failing_once():
            orders = [e for e in await stack.events(kind="shop.order")]
            return len(orders) >= 3 and all(e.attempts >= 2 for e in orders if e.status != "skipped")

        await wait_for(all_failing_once, 20, "orders to be retried during the outage")
        assert stack.sim.orders == {}
        now[0] += 61  # the minute is over
        events = await stack.settle(timeout=40)
        assert len(stack.sim.orders) == 3
        assert not [e for e in events if e.status == "dead"]


async def test_export_modes_and_drafts(tmp_path):
    async with running_stack(tmp_path, order_export="manual") as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1"))
        manual = await stack.place_order(order=order_payload([(ts["id"], 1)]))
        draft = await stack.place_order(order=order_payload([(ts["id"], 1)], status="checkout-draft"))
        events = await stack.settle()
        assert stack.sim.orders == {}
        reasons = {e.result["reason"] for e in events if e.kind == "shop.order"}
        assert "order export is manual: export it from the admin console or CLI" in reasons

        # The "Export" button sends it; a draft stays out even then.
        assert (await stack.admin("POST", f"/tenants/woo1/orders/{manual['id']}/export"))[0] == 202
        assert (await stack.admin("POST", f"/tenants/woo1/orders/{draft['id']}/export"))[0] == 202
        events = await stack.settle()
        assert [o.external_order_no for o in stack.sim.orders.values()] == [str(manual["number"])]
        assert any(e.result and e.result.get("reason") == "the order is a checkout draft" for e in events)

        await stack.set_settings(order_export="inactive")
        await stack.place_order(order=order_payload([(ts["id"], 1)]))
        events = await stack.settle()
        assert len(stack.sim.orders) == 1
        assert any(e.result and e.result.get("reason") == "order export is inactive" for e in events)


async def test_failed_order_keeps_its_reason_and_transfer_again_sends_it(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1"))
        await stack.settle()
        # The Specter key is wrong: Specter refuses every call, for good.
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        await stack.place_order(order=order_payload([(ts["id"], 1)]))
        await stack.settle()
        status, failed = await stack.admin("GET", "/tenants/woo1/events?status=dead")
        assert status == 200 and failed and all(e["kind"] == "shop.order" for e in failed)
        assert "key" in failed[0]["last_error"].lower()
        assert "a-wrong-key" not in str(failed)

        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "integration-key-1"})
        status, body = await stack.admin("POST", "/tenants/woo1/events/retry")
        assert status == 200 and set(body["requeued"]) == {e["id"] for e in failed}
        await stack.settle()
        assert len(stack.sim.orders) == 1
        assert (await stack.admin("GET", "/tenants/woo1/events?status=dead"))[1] == []


async def test_deleted_shop_order_is_deleted_in_specter_only_when_set(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1"))
        kept = await stack.place_order(order=order_payload([(ts["id"], 1)]))
        gone = await stack.place_order(order=order_payload([(ts["id"], 1)]))
        await stack.settle()
        woo = shop_client(stack)
        await woo.request("DELETE", f"orders/{kept['id']}")  # delete order is off by default
        await stack.settle()
        assert len(stack.sim.orders) == 2

        await stack.set_settings(delete_order=True)
        await stack.admin("POST", "/tenants/woo1/connect")  # subscribes to order.deleted now
        await woo.request("DELETE", f"orders/{gone['id']}")
        await stack.settle()
        assert [o.external_order_no for o in stack.sim.orders.values()] == [str(kept["number"])]
