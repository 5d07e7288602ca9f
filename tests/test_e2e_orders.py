"""Shop to Specter, end to end over loopback, for every shop platform: a shop (tests/shops) ->
gateway -> Specter simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.engine.poller import poll_once
from gateway.settings import DEFAULT_PAYMENT_TYPES
from gateway.simulators.specter.faults import FaultConfig
from tests.databases import runners_and_databases
from tests.shops import BEFORE_ITEMS, CREATED_TWICE, DRAFT, PLATFORMS, platforms
from tests.shops.woocommerce import woocommerce
from tests.stack import SBM_ID, running_stack, wait_for


@pytest.mark.parametrize("platform", platforms(lambda d: CREATED_TWICE in d.misbehaviours))
@runners_and_databases
async def test_an_order_reaches_specter_once_with_its_rows_and_the_number_comes_back(tmp_path, runner, database,
                                                                                      platform):
    async with running_stack(tmp_path, runner, platform=platform, database_url=database.url) as stack:
        shop = stack.driver
        await shop.create_product("TS-1", price="100.00")
        order = await shop.place_order([("TS-1", 2)], created_twice=True)
        events = await stack.settle()

        orders = list(stack.sim.orders.values())
        assert len(orders) == 1, "the order's created event came twice: still one order"
        sent = orders[0]
        assert sent.fields["externalOrderNo"] == order.number
        assert sent.fields["payTypeIdentifier"] == DEFAULT_PAYMENT_TYPES[shop.payment_methods["klarna"]]
        assert sent.fields["payTypeReference"] == "klarna-ref-1"
        rows = [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows]
        assert rows == [("TS-1", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        customer = stack.sim.customers[sent.customer_id]
        assert (customer.name, customer.email) == ("Åsa Öberg", "asa@example.se")
        assert customer.fields["firstName"] == "Åsa"  # arrived intact through Latin-1

        assert (await shop.order(order.id)).specter_order_no == sent.order_no  # the number its users see
        assert not [e for e in events if e.status == "dead"], [(e.kind, e.last_error) for e in events]


@pytest.mark.parametrize("platform", platforms(lambda d: CREATED_TWICE in d.misbehaviours))
@runners_and_databases
async def test_lost_answer_and_three_deliveries_still_make_one_order(tmp_path, runner, database, platform):
    async with running_stack(tmp_path, runner, platform=platform, database_url=database.url) as stack:
        await stack.driver.create_product("TS-1")
        # Specter stores the order but its answer never arrives (as a timeout looks).
        stack.specter.faults.configure(FaultConfig(lose_answers=1, lose_answers_action="newOrderSubmit"))
        order = await stack.driver.place_order([("TS-1", 1)], created_twice=True)
        events = await stack.settle()

        assert len(stack.sim.orders) == 1
        [sent] = stack.sim.orders.values()
        # Whichever delivery's job sent it again, Specter's duplicate control named the order
        # it already had, and no second order was made.
        exported = [e for e in events if e.kind == "shop.order" and e.status == "done"]
        assert len(exported) == 1
        assert "answer was lost" in " ".join(exported[0].result["notes"])
        assert stack.specter.state.request_counts[f"{SBM_ID}:neworderSubmit".lower()] == 2
        # The duplicate answer named Specter's id, not its number: that comes with the order's
        # first change in Specter.
        assert (await stack.driver.order(order.id)).specter_order_no == ""
        await stack.specter_control("POST", f"orders/{sent.order_no}/status", {"statusId": "3"})
        await stack.settle_all()
        assert (await stack.driver.order(order.id)).specter_order_no == sent.order_no


# Only shops that can announce an order before its rows exist (WooCommerce does; so does a PHP
# shop whose code calls specter_event() before writing the rows).
@pytest.mark.parametrize("platform", platforms(lambda d: BEFORE_ITEMS in d.misbehaviours))
async def test_order_announced_before_its_line_items_is_exported_complete(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await stack.driver.create_product("TS-1")
        await stack.driver.create_product("BOK-1", price="200.00")
        await stack.driver.place_order([("TS-1", 1), ("BOK-1", 3)], before_items=True)
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert [(r.article_no, r.quantity) for r in sent.rows if r.article_no != "FRAKT"] == [
            ("TS-1", Decimal(1)), ("BOK-1", Decimal(3))]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_specter_outage_of_a_minute_delays_orders_but_loses_none(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await stack.driver.create_product("TS-1", stock=50)
        await stack.settle()
        now = [0.0]
        stack.specter.faults.clock = lambda: now[0]
        stack.specter.faults.configure(FaultConfig(down_for_s=60))
        for _ in range(3):
            await stack.driver.place_order([("TS-1", 1)])

        async def all_failing_once():
            orders = [e for e in await stack.events(kind="shop.order")]
            return len(orders) >= 3 and all(e.attempts >= 2 for e in orders if e.status != "skipped")

        await wait_for(all_failing_once, 20, "orders to be retried during the outage")
        assert stack.sim.orders == {}
        now[0] += 61  # the minute is over
        events = await stack.settle(timeout=40)
        assert len(stack.sim.orders) == 3
        assert not [e for e in events if e.status == "dead"]


@pytest.mark.parametrize("platform", platforms(lambda d: DRAFT in d.misbehaviours))
async def test_export_modes_and_drafts(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, order_export="manual") as stack:
        tenant = stack.tenant_id
        await stack.driver.create_product("TS-1")
        manual = await stack.driver.place_order([("TS-1", 1)])
        draft = await stack.driver.place_order([("TS-1", 1)], draft=True)
        events = await stack.settle()
        assert stack.sim.orders == {}
        reasons = {e.result["reason"] for e in events if e.kind == "shop.order"}
        assert "order export is manual: export it from the admin console or CLI" in reasons

        # The "Export" button sends it; a draft stays out even then.
        assert (await stack.admin("POST", f"/tenants/{tenant}/orders/{manual.id}/export"))[0] == 202
        assert (await stack.admin("POST", f"/tenants/{tenant}/orders/{draft.id}/export"))[0] == 202
        events = await stack.settle()
        assert [o.external_order_no for o in stack.sim.orders.values()] == [manual.number]
        assert any(e.result and e.result.get("reason") == "the order is a checkout draft" for e in events)

        await stack.set_settings(order_export="inactive")
        await stack.driver.place_order([("TS-1", 1)])
        events = await stack.settle()
        assert len(stack.sim.orders) == 1
        assert any(e.result and e.result.get("reason") == "order export is inactive" for e in events)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_failed_order_keeps_its_reason_and_transfer_again_sends_it(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        tenant = stack.tenant_id
        await stack.driver.create_product("TS-1")
        await stack.settle()
        # The Specter key is wrong: Specter refuses every call, for good.
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        status, failed = await stack.admin("GET", f"/tenants/{tenant}/events?status=dead")
        assert status == 200 and failed and all(e["kind"] == "shop.order" for e in failed)
        assert "key" in failed[0]["last_error"].lower()
        assert "a-wrong-key" not in str(failed)

        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "integration-key-1"})
        status, body = await stack.admin("POST", f"/tenants/{tenant}/events/retry")
        assert status == 200 and set(body["requeued"]) == {e["id"] for e in failed}
        await stack.settle()
        assert len(stack.sim.orders) == 1
        assert (await stack.admin("GET", f"/tenants/{tenant}/events?status=dead"))[1] == []


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_deleted_shop_order_is_deleted_in_specter_only_when_set(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await stack.driver.create_product("TS-1")
        kept = await stack.driver.place_order([("TS-1", 1)])
        gone = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        await stack.driver.delete_order(kept.id)  # delete order is off by default
        await stack.settle()
        assert len(stack.sim.orders) == 2

        await stack.set_settings(delete_order=True)
        await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")  # subscribes to order deletes now
        await stack.driver.delete_order(gone.id)
        await stack.settle()
        assert [o.external_order_no for o in stack.sim.orders.values()] == [kept.number]


async def test_the_order_number_is_written_back_once_and_then_nothing(tmp_path):
    """A write-back moves the order's modification time, so the next poll (and the write's own
    webhook) bring the order again: when the shop already shows the number, nothing is written."""
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        await poll_once(stack.gw)  # the first look: orders placed after it are the poller's to find
        await shop.create_product("TS-1")
        order = await shop.place_order([("TS-1", 1)])
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.order_no != sent.order_id
        assert (await shop.order(order.id)).specter_order_no == sent.order_no

        def order_updates() -> int:
            return sum(1 for d in shop.fake.state.deliveries
                       if d["topic"] == "order.updated" and str(d["id"]) == order.id)

        written = order_updates()
        for _ in range(3):
            await poll_once(stack.gw)
            events = await stack.settle()
        assert order_updates() == written, "the gateway wrote to an order that already showed its number"
        polled = [e for e in events if e.kind == "shop.order" and e.payload["data"].get("found_by") == "poll"]
        assert polled and all(e.status == "skipped" for e in polled), [(e.status, e.result) for e in polled]
        assert len(stack.sim.orders) == 1
