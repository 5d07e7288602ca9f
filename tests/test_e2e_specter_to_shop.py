"""Specter to shop, end to end: stock, article data, order status and the product import, to
every shop on a Specter account (two shops of one platform here), for every shop platform."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.errors import TransientError
from gateway.settings import SpecterAccount
from gateway.specter.client import SpecterClient
from tests.databases import both_databases, runners_and_databases
from tests.shops import PLATFORMS, platforms
from tests.stack import SBM_ID, Stack, running_stack, wait_for


async def wait_stock(stack: Stack, tenant_id: str, sku: str, quantity: int, timeout: float = 20) -> None:
    async def arrived():
        p = await stack.drivers[tenant_id].product(sku)
        return p is not None and p.stock == quantity

    await wait_for(arrived, timeout, f"{sku} to have {quantity} in stock in {tenant_id}")


async def every_shop_with(stack: Stack, sku: str = "TS-1", specter_stock: int = 10) -> None:
    """The product in every shop, then the article in Specter, whose stock reaches every shop."""
    for driver in stack.drivers.values():
        await driver.create_product(sku, stock=0)
    await stack.specter_control("POST", "articles", {"articleNo": sku, "name": f"Artikel {sku}",
                                                     "priceExclVat": "100.00", "stock": {"1": specter_stock}})
    for tenant_id in stack.tenants:
        await wait_stock(stack, tenant_id, sku, specter_stock)
    await stack.settle_all()


@pytest.mark.parametrize("platform", PLATFORMS)
@runners_and_databases
async def test_a_stock_change_in_specter_reaches_every_shop_on_the_account(tmp_path, runner, database, platform):
    async with running_stack(tmp_path, runner, shops=2, platform=platform, export_product_on_change=False,
                             database_url=database.url) as stack:
        await every_shop_with(stack)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 7})
        for tenant_id in stack.tenants:
            await wait_stock(stack, tenant_id, "TS-1", 7)
        flags = await stack.specter_control("GET", "flags")
        assert flags["stock"] == []  # acknowledged


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_an_order_lowers_the_available_stock_in_the_other_shop_too(tmp_path, platform):
    async with running_stack(tmp_path, shops=2, platform=platform, export_product_on_change=False) as stack:
        first, second = stack.tenants
        await every_shop_with(stack, specter_stock=10)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 10})
        await wait_stock(stack, second, "TS-1", 10)
        await stack.drivers[first].place_order([("TS-1", 3)])
        # In stock 10, ordered 3 not yet delivered: 7 may be sold, in both shops.
        await wait_stock(stack, second, "TS-1", 7)
        await wait_stock(stack, first, "TS-1", 7)


@pytest.mark.parametrize("platform", platforms(lambda d: d.variants))
async def test_variants_get_their_own_stock_and_sites_are_summed_or_chosen(tmp_path, platform):
    async with running_stack(tmp_path, shops=2, platform=platform, export_product_on_change=False) as stack:
        first, second = stack.tenants
        for sku in ("TROJA-S", "TROJA-M"):
            await stack.specter_control("POST", "articles", {"articleNo": sku, "name": sku, "priceExclVat": "200.00"})
        for driver in stack.drivers.values():
            await driver.create_product("TROJA", name="Tröja", stock=0, variants=["TROJA-S", "TROJA-M"])
        await stack.settle_all()
        await stack.admin("PATCH", f"/tenants/{second}", {"settings": {"stock_sites": ["2"]}})
        await stack.specter_control("POST", "stock", [
            {"articleNo": "TROJA-S", "site": "1", "inStock": 4}, {"articleNo": "TROJA-S", "site": "2", "inStock": 3},
            {"articleNo": "TROJA-M", "site": "1", "inStock": 6}])
        await wait_stock(stack, first, "TROJA-S", 7)  # all sites, summed
        await wait_stock(stack, first, "TROJA-M", 6)
        await wait_stock(stack, second, "TROJA-S", 3)  # only site 2
        await wait_stock(stack, second, "TROJA-M", 0)


@pytest.mark.parametrize("platform", PLATFORMS)
@both_databases
async def test_nothing_is_lost_while_the_gateway_is_down(tmp_path, platform, database):
    async with running_stack(tmp_path, shops=2, platform=platform, export_product_on_change=False,
                             database_url=database.url) as stack:
        await every_shop_with(stack)
        await stack.stop_gateway()
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 4})
        await stack.specter.callbacks.idle()
        callbacks = await stack.specter_control("GET", "callbacks")
        assert callbacks["log"][-1]["error"], "Specter's call found nobody"
        assert (await stack.specter_control("GET", "flags"))["stock"] == ["TS-1"]
        await stack.start_gateway()  # pulls at start-up: the flag is still set in Specter
        for tenant_id in stack.tenants:
            await wait_stock(stack, tenant_id, "TS-1", 4)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_the_batch_is_acknowledged_only_after_the_levels_are_stored(tmp_path, monkeypatch, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        await every_shop_with(stack)
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
        await wait_stock(stack, stack.tenant_id, "TS-1", 2)
        assert (await stack.specter_control("GET", "flags"))["stock"] == []


@pytest.mark.parametrize("platform", PLATFORMS)
@both_databases
async def test_an_open_batch_is_recovered_from_error_99(tmp_path, platform, database):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False,
                             database_url=database.url) as stack:
        await every_shop_with(stack)
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
        await wait_stock(stack, stack.tenant_id, "TS-1", 5)
        assert (await stack.specter_control("GET", "batches"))["stock"] is None


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_one_shop_failing_delays_only_that_shop(tmp_path, platform):
    async with running_stack(tmp_path, shops=2, platform=platform, export_product_on_change=False) as stack:
        first, second = stack.tenants
        await every_shop_with(stack)
        await stack.drivers[second].break_shop()
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 8})
        await wait_stock(stack, first, "TS-1", 8)

        async def second_retrying():
            pushes = [e for e in await stack.events(second, kind="stock.push") if e.status == "retry"]
            return bool(pushes)

        await wait_for(second_retrying, 20, f"{second}'s stock push to be retried")
        assert (await stack.drivers[second].product("TS-1")).stock == 10  # still the old level
        await stack.drivers[second].mend_shop()
        await wait_stock(stack, second, "TS-1", 8, timeout=30)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_update_stock_now_resends_every_level(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        await every_shop_with(stack)
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 6})
        await wait_stock(stack, stack.tenant_id, "TS-1", 6)
        # Someone changes the stock by hand in the shop; Specter knows nothing of it.
        await stack.driver.update_product((await stack.driver.product("TS-1")).id, stock=99)
        await stack.settle_all()
        assert (await stack.driver.product("TS-1")).stock == 99
        status, _ = await stack.admin("POST", f"/tenants/{stack.tenant_id}/stock/resync")
        assert status == 202
        await wait_stock(stack, stack.tenant_id, "TS-1", 6)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_article_data_updates_existing_products_in_every_shop(tmp_path, platform):
    async with running_stack(tmp_path, shops=2, platform=platform, export_product_on_change=False,
                             tax_classes={"12": "reduced-rate"}) as stack:
        await every_shop_with(stack)
        await stack.specter_control("PATCH", "articles/TS-1", {"name": "Ny T-shirt", "priceExclVat": "120.00",
                                                               "vatPercent": "12", "productWeight": "0.350",
                                                               "description": "Mjuk bomull"})
        only_in_specter = {"articleNo": "ONLY-IN-SPECTER", "name": "X", "priceExclVat": "1"}
        await stack.specter_control("POST", "articles", only_in_specter)

        async def updated():
            products = [await driver.product("TS-1") for driver in stack.drivers.values()]
            return all(p is not None and p.price == Decimal("120.00") for p in products)

        await wait_for(updated, 20, "the new price in both shops")
        await stack.settle_all()
        for driver in stack.drivers.values():
            p = await driver.product("TS-1")
            assert (p.name, p.vat, p.weight_kg, p.description) == (
                "Ny T-shirt",
                Decimal(12),
                Decimal("0.350"),
                "Mjuk bomull",
            )
            assert await driver.product("ONLY-IN-SPECTER") is None  # import is off
        # The shop's echo of the gateway's own write is not exported back.
        assert stack.sim.articles["TS-1"].sent == {}


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_import_price_only(tmp_path, platform):
    async with running_stack(
        tmp_path, platform=platform, export_product_on_change=False, import_price_only=True
    ) as stack:
        await every_shop_with(stack)
        await stack.specter_control("PATCH", "articles/TS-1", {"name": "Nytt namn", "priceExclVat": "80.00"})

        async def priced():
            return (await stack.driver.product("TS-1")).price == Decimal("80.00")

        await wait_for(priced, 20, "the new price")
        assert (await stack.driver.product("TS-1")).name == "Produkt TS-1"


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_product_import_with_group_categories_is_idempotent(tmp_path, platform):
    async with running_stack(
        tmp_path,
        platform=platform,
        export_product_on_change=False,
        article_group_creates_category=True,
        move_product_to_group_category=True,
    ) as stack:
        shop, tenant_id = stack.driver, stack.tenant_id
        await shop.create_product("OLD-1", stock=0)
        await stack.specter_control(
            "POST",
            "articles",
            [
                {
                    "articleNo": "NEW-1",
                    "name": "Ny vara",
                    "priceExclVat": "50.00",
                    "groupCode": "G1",
                    "groupName": "Koppar",
                },
                {
                    "articleNo": "OLD-1",
                    "name": "Gammal vara",
                    "priceExclVat": "60.00",
                    "groupCode": "G2",
                    "groupName": "Tallrikar",
                },
            ],
        )
        await stack.settle_all()  # an ordinary article-data pull: OLD-1 updated, NEW-1 not created
        assert await shop.product("NEW-1") is None

        # get_specter_articles: the shop's own URL, as the legacy script was. It brings every
        # article the gateway has read from Specter.
        await stack.set_settings(import_products=True)
        token = await stack.inbound_token()
        async with stack.http.post(f"{stack.gateway.url}/shops/{tenant_id}/get_specter_articles?token={token}") as r:
            assert r.status == 202
        await stack.settle_all()
        new, old = await shop.product("NEW-1"), await shop.product("OLD-1")
        assert new is not None and new.price == Decimal("50.00")
        assert new.categories == ["Koppar"]
        assert old.categories == ["Tallrikar"]  # moved to its group

        before = (await shop.skus(), await shop.categories())
        stack.sim.info_flow.flag(["NEW-1"])  # the same data once more
        await stack.admin("POST", f"/tenants/{tenant_id}/import")
        events = await stack.settle_all()
        assert (await shop.skus(), await shop.categories()) == before
        last_push = max((e for e in events if e.kind == "articles.push"), key=lambda e: e.id)
        assert last_push.result["unchanged_count"] == 2 and last_push.result["created_count"] == 0, last_push.result


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_order_status_from_specter_reaches_the_right_order(tmp_path, platform):
    async with running_stack(tmp_path, shops=2, platform=platform) as stack:
        first, second = stack.tenants
        shop1, shop2 = stack.drivers[first], stack.drivers[second]
        await shop1.create_product("TS-1", stock=50)
        await shop2.create_product("TS-2", stock=50)
        one = await shop1.place_order([("TS-1", 1)])
        two = await shop2.place_order([("TS-2", 1)])
        gone = await shop1.place_order([("TS-1", 1)])
        await stack.settle_all()
        by_external = {o.external_order_no: o for o in stack.sim.orders.values()}
        sent_one, sent_two, sent_gone = (
            by_external[stack.external_order_no(t, o.number)] for t, o in ((first, one), (second, two), (first, gone))
        )

        await stack.specter_control("POST", f"orders/{sent_one.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.specter_control("POST", f"orders/{sent_gone.order_no}/delete")
        await stack.settle_all()

        delivered = await shop1.order(one.id)
        assert delivered.status == "completed" and "PN123SE" in delivered.tracking
        assert (await shop1.order(gone.id)).status == "cancelled"
        assert (await shop2.order(two.id)).status == "processing"  # not its order

        await stack.specter_control("POST", f"orders/{sent_two.order_no}/remove")  # actionRemoveOrder
        await stack.settle_all()
        assert (await shop2.order(two.id)).status == "cancelled"
