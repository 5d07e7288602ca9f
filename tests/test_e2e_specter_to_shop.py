"""Specter to shop, end to end: stock, article data, order status and the product import, to
every shop on a Specter account (two fake WooCommerce shops here)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.errors import TransientError
from gateway.specter.client import SpecterClient
from gateway.settings import SpecterAccount
from tests.stack import SBM_ID, Stack, order_payload, product, running_stack, wait_for

RUNNERS = ["inprocess", "arq"]


def shop_product(stack: Stack, tenant_id: str, sku: str) -> dict | None:
    return next((p for p in stack.shops[tenant_id].state.products.values() if p["sku"] == sku), None)


async def wait_stock(stack: Stack, tenant_id: str, sku: str, quantity: int, timeout: float = 20) -> None:
    async def arrived():
        p = shop_product(stack, tenant_id, sku)
        return p is not None and p["stock_quantity"] == quantity

    await wait_for(arrived, timeout, f"{sku} to have {quantity} in stock in {tenant_id}")


async def two_shops_with(stack: Stack, sku: str = "TS-1", specter_stock: int = 10) -> None:
    """The article in Specter and, unsynced, as a product in both shops."""
    await stack.specter_control("POST", "articles", {"articleNo": sku, "name": f"Artikel {sku}",
                                                     "priceExclVat": "100.00", "stock": {"1": specter_stock}})
    for tenant_id, fake in stack.shops.items():
        await stack.shop_control_for(tenant_id, "POST", "products", product(sku, stock=0))
    await stack.settle_all()


@pytest.mark.parametrize("runner", RUNNERS)
async def test_a_stock_change_in_specter_reaches_every_shop_on_the_account(tmp_path, runner):
    async with running_stack(tmp_path, runner, shops=2, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 7})
        await wait_stock(stack, "woo1", "TS-1", 7)
        await wait_stock(stack, "woo2", "TS-1", 7)
        flags = await stack.specter_control("GET", "flags")
        assert flags["stock"] == []  # acknowledged


async def test_an_order_lowers_the_available_stock_in_the_other_shop_too(tmp_path):
    async with running_stack(tmp_path, shops=2, export_product_on_change=False) as stack:
        await two_shops_with(stack, specter_stock=10)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 10})
        await wait_stock(stack, "woo2", "TS-1", 10)
        ts = shop_product(stack, "woo1", "TS-1")
        await stack.place_order(order=order_payload([(ts["id"], 3)]))
        # In stock 10, ordered 3 not yet delivered: 7 may be sold, in both shops.
        await wait_stock(stack, "woo2", "TS-1", 7)
        await wait_stock(stack, "woo1", "TS-1", 7)


async def test_variants_get_their_own_stock_and_sites_are_summed_or_chosen(tmp_path):
    async with running_stack(tmp_path, shops=2, export_product_on_change=False) as stack:
        for sku in ("TROJA-S", "TROJA-M"):
            await stack.specter_control("POST", "articles", {"articleNo": sku, "name": sku, "priceExclVat": "200.00"})
        for tenant_id in stack.shops:
            await stack.shop_control_for(tenant_id, "POST", "products", {
                "name": "Tröja", "sku": "TROJA", "variations": [product("TROJA-S", stock=0), product("TROJA-M", stock=0)]})
        await stack.settle_all()
        await stack.admin("PATCH", "/tenants/woo2", {"settings": {"stock_sites": ["2"]}})
        await stack.specter_control("POST", "stock", [
            {"articleNo": "TROJA-S", "site": "1", "inStock": 4}, {"articleNo": "TROJA-S", "site": "2", "inStock": 3},
            {"articleNo": "TROJA-M", "site": "1", "inStock": 6}])
        await wait_stock(stack, "woo1", "TROJA-S", 7)  # all sites, summed
        await wait_stock(stack, "woo1", "TROJA-M", 6)
        await wait_stock(stack, "woo2", "TROJA-S", 3)  # only site 2
        await wait_stock(stack, "woo2", "TROJA-M", 0)


async def test_nothing_is_lost_while_the_gateway_is_down(tmp_path):
    async with running_stack(tmp_path, shops=2, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        await stack.stop_gateway()
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 4})
        await stack.specter.callbacks.idle()
        callbacks = await stack.specter_control("GET", "callbacks")
        assert callbacks["log"][-1]["error"], "Specter's call found nobody"
        assert (await stack.specter_control("GET", "flags"))["stock"] == ["TS-1"]
        await stack.start_gateway()  # pulls at start-up: the flag is still set in Specter
        await wait_stock(stack, "woo1", "TS-1", 4)
        await wait_stock(stack, "woo2", "TS-1", 4)


async def test_the_batch_is_acknowledged_only_after_the_levels_are_stored(tmp_path, monkeypatch):
    async with running_stack(tmp_path, shops=1, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        store = stack.gw.store
        keep = store.store_stock

        async def disk_full(*args, **kwargs):
            raise TransientError("the disk is full")

        monkeypatch.setattr(store, "store_stock", disk_full)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 2})

        async def failed_once():
            pulls = [e for e in await stack.all_events() if e.kind == "specter.stock" and e.last_error]
            return bool(pulls)

        await wait_for(failed_once, 20, "the pull to fail")
        assert (await stack.specter_control("GET", "flags"))["stock"] == ["TS-1"]  # not acknowledged
        monkeypatch.setattr(store, "store_stock", keep)
        await wait_stock(stack, "woo1", "TS-1", 2)
        assert (await stack.specter_control("GET", "flags"))["stock"] == []


async def test_an_open_batch_is_recovered_from_error_99(tmp_path):
    async with running_stack(tmp_path, shops=1, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        # An earlier reader (the gateway before a crash) read batch OLD and never acknowledged.
        await stack.stop_gateway()
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 5})
        account = SpecterAccount(id="acct", sbm_id=SBM_ID, api_user_id="api-user", user_key="user-key-1",
                                 integration_key="integration-key-1", base_url=stack.specter.url)
        client = SpecterClient(account)
        assert [c.article_no for c in await client.read_stock_changes("OLD")] == ["TS-1"]
        await client.close()
        assert (await stack.specter_control("GET", "batches"))["stock"] == "OLD"
        await stack.start_gateway()
        await wait_stock(stack, "woo1", "TS-1", 5)
        assert (await stack.specter_control("GET", "batches"))["stock"] is None


async def test_one_shop_failing_delays_only_that_shop(tmp_path):
    async with running_stack(tmp_path, shops=2, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        await stack.shop_control_for("woo2", "POST", "faults", {"kind": "error500", "count": 10_000})
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 8})
        await wait_stock(stack, "woo1", "TS-1", 8)

        async def woo2_retrying():
            pushes = [e for e in await stack.events("woo2", kind="stock.push") if e.status == "retry"]
            return bool(pushes)

        await wait_for(woo2_retrying, 20, "woo2's stock push to be retried")
        assert shop_product(stack, "woo2", "TS-1")["stock_quantity"] == 10  # still the old level
        await stack.shop_control_for("woo2", "POST", "faults", {"kind": "error500", "count": 0})
        await wait_stock(stack, "woo2", "TS-1", 8, timeout=30)


async def test_update_stock_now_resends_every_level(tmp_path):
    async with running_stack(tmp_path, shops=1, export_product_on_change=False) as stack:
        await two_shops_with(stack)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 6})
        await wait_stock(stack, "woo1", "TS-1", 6)
        # Someone changes the stock by hand in the shop; Specter knows nothing of it.
        ts = shop_product(stack, "woo1", "TS-1")
        await stack.shop_control_for("woo1", "PUT", f"products/{ts['id']}", {"stock_quantity": 99})
        await stack.settle_all()
        status, body = await stack.admin("POST", "/tenants/woo1/stock/resync")
        assert status == 202
        await wait_stock(stack, "woo1", "TS-1", 6)


async def test_article_data_updates_existing_products_in_every_shop(tmp_path):
    async with running_stack(tmp_path, shops=2, export_product_on_change=False, tax_classes={"12": "reduced-rate"}) as stack:
        await two_shops_with(stack)
        await stack.specter_control("PATCH", "articles/TS-1", {"name": "Ny T-shirt", "priceExclVat": "120.00",
                                                               "vatPercent": "12", "productWeight": "0.350",
                                                               "description": "Mjuk bomull"})
        await stack.specter_control("POST", "articles", {"articleNo": "ONLY-IN-SPECTER", "name": "X", "priceExclVat": "1"})

        async def updated():
            return all((p := shop_product(stack, t, "TS-1")) and p["regular_price"] == "120.00" for t in stack.shops)

        await wait_for(updated, 20, "the new price in both shops")
        await stack.settle_all()
        for tenant_id in stack.shops:
            p = shop_product(stack, tenant_id, "TS-1")
            assert (p["name"], p["tax_class"], p["weight"], p["description"]) == (
                "Ny T-shirt", "reduced-rate", "0.350", "Mjuk bomull")
            assert shop_product(stack, tenant_id, "ONLY-IN-SPECTER") is None  # import is off
        # The shop's echo of the gateway's own write is not exported back.
        assert stack.sim.articles["TS-1"].sent == {}


async def test_import_price_only(tmp_path):
    async with running_stack(tmp_path, shops=1, export_product_on_change=False, import_price_only=True) as stack:
        await two_shops_with(stack)
        await stack.specter_control("PATCH", "articles/TS-1", {"name": "Nytt namn", "priceExclVat": "80.00"})

        async def priced():
            return shop_product(stack, "woo1", "TS-1")["regular_price"] == "80.00"

        await wait_for(priced, 20, "the new price")
        assert shop_product(stack, "woo1", "TS-1")["name"] == "Produkt TS-1"


async def test_product_import_with_group_categories_is_idempotent(tmp_path):
    async with running_stack(tmp_path, shops=1, export_product_on_change=False,
                             article_group_creates_category=True, move_product_to_group_category=True) as stack:
        await stack.shop_control_for("woo1", "POST", "products", product("OLD-1", stock=0))
        await stack.specter_control("POST", "articles", [
            {"articleNo": "NEW-1", "name": "Ny vara", "priceExclVat": "50.00", "groupCode": "G1", "groupName": "Koppar"},
            {"articleNo": "OLD-1", "name": "Gammal vara", "priceExclVat": "60.00", "groupCode": "G2", "groupName": "Tallrikar"},
        ])
        await stack.settle_all()  # an ordinary article-data pull: OLD-1 updated, NEW-1 not created
        assert shop_product(stack, "woo1", "NEW-1") is None

        # get_specter_articles: the shop's own URL, as the legacy script was. Specter hands out
        # flagged articles: a Specter user flags them for the web shop again.
        tenant = await stack.gw.store.get_tenant("woo1")
        stack.sim.info_flow.flag(["NEW-1", "OLD-1"])  # flagged, without a callback
        async with stack.http.post(f"{stack.gateway.url}/shops/woo1/get_specter_articles?token={tenant.inbound_token}") as r:
            assert r.status == 202
        await stack.settle_all()
        new, old = shop_product(stack, "woo1", "NEW-1"), shop_product(stack, "woo1", "OLD-1")
        categories = {c["id"]: c["name"] for c in stack.shops["woo1"].state.categories.values()}
        assert new is not None and new["regular_price"] == "50.00"
        assert [categories[c["id"]] for c in new["categories"]] == ["Koppar"]
        assert [categories[c["id"]] for c in old["categories"]] == ["Tallrikar"]  # moved to its group

        before = (len(stack.shops["woo1"].state.products), sorted(categories.values()))
        stack.sim.info_flow.flag(["NEW-1"])  # the same data once more
        await stack.admin("POST", "/tenants/woo1/import")
        events = await stack.settle_all()
        after = (len(stack.shops["woo1"].state.products),
                 sorted(c["name"] for c in stack.shops["woo1"].state.categories.values()))
        assert after == before
        last_push = max((e for e in events if e.kind == "articles.push"), key=lambda e: e.id)
        assert last_push.result["unchanged_count"] == 1 and last_push.result["created_count"] == 0, last_push.result


async def test_order_status_from_specter_reaches_the_right_order(tmp_path):
    async with running_stack(tmp_path, shops=2) as stack:
        ts1 = await stack.shop_control_for("woo1", "POST", "products", product("TS-1", stock=50))
        ts2 = await stack.shop_control_for("woo2", "POST", "products", product("TS-2", stock=50))
        one = await stack.shop_control_for("woo1", "POST", "orders", {"order": order_payload([(ts1["id"], 1)])})
        two = await stack.shop_control_for("woo2", "POST", "orders", {"order": order_payload([(ts2["id"], 1)])})
        gone = await stack.shop_control_for("woo1", "POST", "orders", {"order": order_payload([(ts1["id"], 1)])})
        await stack.settle_all()
        by_external = {o.external_order_no: o for o in stack.sim.orders.values()}
        first, second, third = (by_external[f"W{n}-{o['number']}"] for n, o in ((1, one), (2, two), (1, gone)))

        await stack.specter_control("POST", f"orders/{first.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.specter_control("POST", f"orders/{third.order_no}/delete")
        await stack.settle_all()

        woo1, woo2 = stack.shops["woo1"].state.orders, stack.shops["woo2"].state.orders
        assert woo1[one["id"]]["status"] == "completed"
        meta = {m["key"]: m["value"] for m in woo1[one["id"]]["meta_data"]}
        assert "PN123SE" in str(meta["_specter_tracking_numbers"])
        assert woo1[gone["id"]]["status"] == "cancelled"
        assert woo2[two["id"]]["status"] == "processing"  # not its order

        await stack.specter_control("POST", f"orders/{second.order_no}/remove")  # actionRemoveOrder
        await stack.settle_all()
        assert woo2[two["id"]]["status"] == "cancelled"
