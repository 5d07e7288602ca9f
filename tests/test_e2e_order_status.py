"""Order changes from Specter in the shop, end to end: a Specter status becomes the shop status
the tenant maps it to, the parcels' tracking numbers are shown to the customer once, and an
order that gives its stock back in the shop (cancelled by the shop owner, also before Specter got
it, or deleted in Specter) or takes it again (reopened) leaves the shop at Specter's level, with
nothing written after that."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.engine.poller import poll_once
from gateway.settings import DEFAULT_ORDER_STATUS_MAP
from gateway.simulators.specter.state import ORDER_CHANGE
from tests.shops import PLATFORMS, PlacedOrder
from tests.shops.woocommerce import WooCommerceDriver, woocommerce
from tests.stack import Stack, running_stack, wait_for

API = "/wp-json/wc/v3"
RUNNERS = ["inprocess", "arq"]


def specter_available(stack: Stack, article_no: str) -> int:
    """What Specter says the shops may sell of an article (every stock site)."""
    return sum(stack.sim.articles[article_no].available_by_site().values())


def order_no(stack: Stack, placed: PlacedOrder) -> str:
    """Specter's order number for a shop order."""
    external = stack.external_order_no(stack.tenant_id, placed.number)
    return next(o.order_no for o in stack.sim.orders.values() if o.external_order_no == external)


async def no_dead_events(stack: Stack) -> None:
    dead = [(e.kind, e.last_error) for e in await stack.all_events() if e.status == "dead"]
    assert dead == []


async def stocked_and_ordered(stack: Stack, stock: int = 10, quantity: int = 1) -> PlacedOrder:
    """TS-1 in the shop and in Specter with ``stock``, then an order for ``quantity`` of it, in
    Specter and settled: the shop and Specter both at ``stock - quantity``."""
    await stack.driver.create_product("TS-1", stock=stock)
    await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "Artikel TS-1",
                                                     "priceExclVat": "100.00", "stock": {"1": stock}})
    await stack.settle_all()
    placed = await stack.driver.place_order([("TS-1", quantity)])
    await stack.settle_all()
    assert specter_available(stack, "TS-1") == stock - quantity
    assert (await stack.driver.product("TS-1")).stock == stock - quantity
    return placed


# -- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_specter_status_the_tenant_maps_reaches_the_shop(tmp_path, platform):
    status_map = DEFAULT_ORDER_STATUS_MAP | {"3": "cancelled"}
    async with running_stack(tmp_path, platform=platform, order_status_map=status_map) as stack:
        await stack.driver.create_product("TS-1", stock=50)
        placed = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle_all()
        await stack.specter_control("POST", f"orders/{order_no(stack, placed)}/status", {"statusId": "2"})
        await stack.settle_all()
        assert (await stack.driver.order(placed.id)).status == "processing"  # not mapped: left as it is

        await stack.specter_control("POST", f"orders/{order_no(stack, placed)}/status", {"statusId": "3"})
        await stack.settle_all()
        assert (await stack.driver.order(placed.id)).status == "cancelled"
        await no_dead_events(stack)


async def test_woocommerce_takes_its_own_and_a_plugins_statuses(tmp_path):
    status_map = DEFAULT_ORDER_STATUS_MAP | {"3": "on_hold", "4": "shipped"}
    async with running_stack(tmp_path, order_status_map=status_map) as stack:
        shop = woocommerce(stack.driver)
        await shop.control("POST", "order-statuses", {"slug": "shipped"})  # a plugin's status
        await shop.create_product("TS-1", stock=50)
        placed = await shop.place_order([("TS-1", 1)])
        await stack.settle_all()
        specter_no = order_no(stack, placed)

        await stack.specter_control("POST", f"orders/{specter_no}/status", {"statusId": "3"})
        await stack.settle_all()
        assert shop.fake.state.orders[int(placed.id)]["status"] == "on-hold"
        await stack.specter_control("POST", f"orders/{specter_no}/status", {"statusId": "4"})
        await stack.settle_all()
        assert shop.fake.state.orders[int(placed.id)]["status"] == "shipped"
        # The shop's echo of that write is an order in a status the gateway does not know: no failure.
        await no_dead_events(stack)


async def test_a_status_the_shop_does_not_have_is_said_and_the_parcel_still_shows(tmp_path):
    async with running_stack(tmp_path, order_status_map={"delivered": "shipped"}) as stack:
        shop = woocommerce(stack.driver)  # no plugin gives this shop a "shipped" status
        await shop.create_product("TS-1", stock=50)
        placed = await shop.place_order([("TS-1", 1)])
        await stack.settle_all()
        await stack.specter_control("POST", f"orders/{order_no(stack, placed)}/deliver", {"trackingNo": "PN111SE"})
        events = await stack.settle_all()
        assert (await shop.order(placed.id)).status == "processing"
        assert customer_notes(shop, placed.id) == ["Din order har skickats. Spårningsnummer: PN111SE"]
        push = max((e for e in events if e.kind == "orders.push"), key=lambda e: e.id)
        [applied] = push.result["applied"]
        assert applied["not_set"].startswith("shipped: WooCommerce has no such order status"), applied
        assert applied["tracking_added"] == ["PN111SE"]
        await no_dead_events(stack)


# -- tracking numbers ------------------------------------------------------------------------------


def customer_notes(shop: WooCommerceDriver, order_id: str) -> list[str]:
    return [n["note"] for n in shop.fake.state.order_notes.get(int(order_id), []) if n["customer_note"]]


def tracking_items(shop: WooCommerceDriver, order_id: str) -> list[dict[str, Any]]:
    meta = {m["key"]: m["value"] for m in shop.fake.state.orders[int(order_id)]["meta_data"]}
    return list(meta.get("_wc_shipment_tracking_items") or [])


async def test_a_tracking_number_is_shown_to_the_customer_once(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        await shop.create_product("TS-1", stock=50)
        placed = await shop.place_order([("TS-1", 1)])
        await stack.settle_all()
        specter_no = order_no(stack, placed)

        await stack.specter_control("POST", f"orders/{specter_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()
        assert customer_notes(shop, placed.id) == ["Din order har skickats. Spårningsnummer: PN123SE"]
        assert [m["to"] for m in shop.fake.state.mails] == ["asa@example.se"]  # WooCommerce mails the note
        [item] = tracking_items(shop, placed.id)
        assert item["tracking_number"] == "PN123SE" and item["date_shipped"].isdigit() and item["tracking_id"]
        assert (await shop.order(placed.id)).tracking == "PN123SE"  # _specter_tracking_numbers

        # Specter reports the order again (any change to it does), and the shop has echoed the
        # gateway's write: nothing more is written.
        writes = len(shop.fake.state.writes)
        await stack.specter_control("POST", f"orders/{specter_no}/status", {"statusId": "1"})
        await stack.settle_all()
        assert shop.fake.state.writes[writes:] == []
        assert len(customer_notes(shop, placed.id)) == 1 and len(shop.fake.state.mails) == 1

        # A second parcel: only its number is new.
        await stack.specter_control("POST", f"orders/{specter_no}/deliver", {"trackingNo": "PN456SE"})
        await stack.settle_all()
        assert customer_notes(shop, placed.id)[1:] == ["Din order har skickats. Spårningsnummer: PN456SE"]
        assert [i["tracking_number"] for i in tracking_items(shop, placed.id)] == ["PN123SE", "PN456SE"]
        assert (await shop.order(placed.id)).tracking == "PN123SE, PN456SE"
        await no_dead_events(stack)


# -- stock after a cancel --------------------------------------------------------------------------


@pytest.mark.parametrize("runner", RUNNERS)
async def test_the_shop_owner_cancels_an_order_after_the_stock_push(tmp_path, runner):
    async with running_stack(tmp_path, runner, export_product_on_change=False) as stack:
        shop = woocommerce(stack.driver)
        placed = await stocked_and_ordered(stack)  # the push of Specter's 9 came first

        await shop.rest.request("PUT", f"orders/{placed.id}", body={"status": "cancelled"})
        await stack.settle_all()
        # The shop put the item back (10), but Specter still holds the order: 9 may be sold.
        assert specter_available(stack, "TS-1") == 9
        assert (await shop.product("TS-1")).stock == 9

        # The order announced again (the owner edits it): nothing is written to the shop.
        writes = len(shop.fake.state.writes)
        await shop.rest.request("PUT", f"orders/{placed.id}", body={"meta_data": [{"key": "packer", "value": "Ola"}]})
        await stack.settle_all()
        assert shop.fake.state.writes[writes:] == [("PUT", f"{API}/orders/{placed.id}")]  # the owner's own
        assert (await shop.product("TS-1")).stock == 9
        await no_dead_events(stack)


@pytest.mark.parametrize("runner", RUNNERS)
async def test_specter_deletes_an_order_after_the_stock_push(tmp_path, runner):
    async with running_stack(tmp_path, runner, export_product_on_change=False) as stack:
        shop = woocommerce(stack.driver)
        placed = await stocked_and_ordered(stack)
        # Specter's call about the order is lost (it never repeats one), its stock call is not:
        # the stock it no longer holds for the order reaches the shop first.
        order_callback = stack.sim.callback_urls.pop(ORDER_CHANGE)
        await stack.specter_control("POST", f"orders/{order_no(stack, placed)}/delete")
        await wait_for(lambda: _stock_is(shop, 10), 20, "Specter's 10 in the shop")
        await stack.settle_all()
        stack.sim.callback_urls[ORDER_CHANGE] = order_callback

        await poll_once(stack.gw)  # the gateway asks Specter what changed: the deleted order
        await stack.settle_all()
        assert (await shop.order(placed.id)).status == "cancelled"
        # Cancelling put the item back in the shop (11); Specter has 10.
        assert specter_available(stack, "TS-1") == 10
        assert (await shop.product("TS-1")).stock == 10

        writes = len(shop.fake.state.writes)
        await poll_once(stack.gw)  # Specter and the shop asked again: the cancelled order is found again
        await stack.settle_all()
        assert shop.fake.state.writes[writes:] == []
        await no_dead_events(stack)


async def _stock_is(shop: WooCommerceDriver, quantity: int) -> bool:
    product = await shop.product("TS-1")
    return product is not None and product.stock == quantity


@pytest.mark.parametrize("platform", ["woocommerce", "abicart"])
async def test_an_order_cancelled_before_specter_got_it_leaves_the_shop_at_specters_level(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        shop = stack.driver
        await shop.create_product("TS-1", stock=10)
        await stack.settle_all()
        await shop.disturb_notifications("lost", 100)  # the gateway hears nothing of the checkout,
        placed = await shop.place_order([("TS-1", 2)])
        await shop.cancel_order(placed.id)  # and the shop owner cancels it before the gateway looks
        await shop.disturb_notifications("lost", 0)

        await poll_once(stack.gw)
        await stack.settle_all()
        assert stack.sim.orders == {}  # a cancelled order is not sent
        # WooCommerce put the items back; Abicart keeps them off: either way the shop shows Specter's 10.
        assert specter_available(stack, "TS-1") == 10
        assert (await shop.product("TS-1")).stock == 10

        writes = len(await shop.writes())
        await poll_once(stack.gw)  # the cancelled order found again: nothing written
        await stack.settle_all()
        assert (await shop.writes())[writes:] == []
        await no_dead_events(stack)


async def test_specter_delivers_an_order_the_shop_owner_had_cancelled(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        shop = woocommerce(stack.driver)
        placed = await stocked_and_ordered(stack)
        await shop.rest.request("PUT", f"orders/{placed.id}", body={"status": "cancelled"})
        await stack.settle_all()
        assert (await shop.product("TS-1")).stock == 9  # put back (10), but Specter still holds the order

        await stack.specter_control("POST", f"orders/{order_no(stack, placed)}/deliver", {"trackingNo": "PN1SE"})
        await stack.settle_all()
        # Shipped after all: completed in the shop, which took the item off again (8); Specter has 9.
        assert (await shop.order(placed.id)).status == "completed"
        assert specter_available(stack, "TS-1") == 9
        assert (await shop.product("TS-1")).stock == 9

        writes = len(shop.fake.state.writes)
        await poll_once(stack.gw)
        await stack.settle_all()
        assert shop.fake.state.writes[writes:] == []
        await no_dead_events(stack)
