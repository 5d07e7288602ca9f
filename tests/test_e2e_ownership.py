"""Who owns what, end to end: a shop's echo or edit never reverts Specter's article data while
Specter owns it, a shop does not overwrite (or delete) an article another shop or Specter created
unless told to, and nothing is written to a shop that it was given already."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.databases import both_databases
from tests.shops import PLATFORMS, platforms
from tests.stack import Stack, running_stack, wait_for


def newest(events, kind: str):
    return max((e for e in events if e.kind == kind), key=lambda e: e.id)


async def shop_price(stack: Stack, sku: str, price: str) -> None:
    async def arrived() -> bool:
        product = await stack.driver.product(sku)
        return product is not None and product.price == Decimal(price)

    await wait_for(arrived, 20, f"{sku} to cost {price} in the shop")


async def shop_stock(stack: Stack, sku: str, quantity: int) -> None:
    async def arrived() -> bool:
        product = await stack.driver.product(sku)
        return product is not None and product.stock == quantity

    await wait_for(arrived, 20, f"{sku} to have {quantity} in stock")


# article_sync is on by default; "import price only" writes only prices to the shop, so the
# shop keeps its own name (and, on WooCommerce, a VAT rate it has no tax class for).
@pytest.mark.parametrize("platform", ["woocommerce", "abicart"])
@pytest.mark.parametrize("settings", [{}, {"import_price_only": True}], ids=["article_sync", "import_price_only"])
async def test_the_shops_echo_and_later_edits_never_revert_specters_article_data(tmp_path, platform, settings):
    async with running_stack(tmp_path, platform=platform, **settings) as stack:
        shop = stack.driver
        product = await shop.create_product("TS-1", price="100.00", stock=5)
        variants = platform == "woocommerce"  # a WooCommerce variation is named by its attributes
        if variants:
            await shop.create_product("TROJA", name="Tröja", price="200.00", variants=["TROJA-S", "TROJA-M"])
        await stack.settle_all()
        assert stack.sim.articles["TS-1"].name == "Produkt TS-1"  # new to Specter: created from the shop

        # A Specter user renames the article, changes its VAT 25 -> 6 % and its price.
        await stack.specter_control("PATCH", "articles/TS-1", {"name": "Ny T-shirt", "vatPercent": "6",
                                                               "priceExclVat": "120.00"})
        if variants:
            await stack.specter_control("PATCH", "articles/TROJA-S", {"name": "Tröja liten",
                                                                      "priceExclVat": "210.00"})
        await shop_price(stack, "TS-1", "120.00")
        await stack.settle_all()

        # The shop's admin edits the products later: their weight, then a price.
        await shop.update_product(product, weight_kg="0.7")
        if variants:
            await shop.update_product((await shop.product("TROJA-S")).id, weight_kg="0.9", price="199.00")
        await shop.update_product(product, price="99.00")
        events = await stack.settle_all()

        article = stack.sim.articles["TS-1"]
        assert (article.name, article.vat_percent, article.price_ex_vat) == ("Ny T-shirt", Decimal(6),
                                                                             Decimal("120.00"))
        if variants:
            variant = stack.sim.articles["TROJA-S"]
            assert (variant.name, variant.price_ex_vat) == ("Tröja liten", Decimal("210.00"))
        last = newest(events, "shop.product")
        assert last.status == "skipped", last.result
        assert "article_sync is on" in last.result["reason"] and last.result["kept_in_specter"] == ["TS-1"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("update_shared", [False, True], ids=["shared_kept", "shared_updated"])
@both_databases
async def test_a_shop_overwrites_an_article_another_shop_or_specter_made_only_when_allowed(tmp_path, platform,
                                                                                          update_shared, database):
    # Both shops own their products' data (no article data from Specter).
    async with running_stack(tmp_path, shops=2, platform=platform, article_sync=False, database_url=database.url,
                             update_shared_articles=update_shared) as stack:
        first, second = stack.tenants
        await stack.drivers[first].create_product("DELAD-1", price="100.00", name="Första")
        await stack.settle_all()
        await stack.specter_control("POST", "articles", {"articleNo": "SPEC-1", "name": "Från Specter",
                                                         "priceExclVat": "50.00"})
        await stack.settle_all()

        await stack.drivers[second].create_product("DELAD-1", price="300.00", name="Andra")
        await stack.drivers[second].create_product("SPEC-1", price="70.00", name="Butikens")
        events = await stack.settle_all()

        shared, from_specter = stack.sim.articles["DELAD-1"], stack.sim.articles["SPEC-1"]
        if update_shared:
            assert (shared.name, shared.price_ex_vat) == ("Andra", Decimal("300.00"))
            assert (from_specter.name, from_specter.price_ex_vat) == ("Butikens", Decimal("70.00"))
        else:
            assert (shared.name, shared.price_ex_vat) == ("Första", Decimal("100.00"))
            assert (from_specter.name, from_specter.price_ex_vat) == ("Från Specter", Decimal("50.00"))
            said = [note for e in events if e.kind == "shop.product" and e.tenant_id == second and e.result
                    for note in e.result.get("not_overwritten", [])]
            assert any(f"exported by shop {first}" in note for note in said), said
            assert any("SPEC-1 came from Specter" in note for note in said), said

        # The shop that created the article still updates it; the other deletes it only when allowed.
        await stack.drivers[first].update_product((await stack.drivers[first].product("DELAD-1")).id, price="110.00")
        await stack.settle_all()
        assert shared.price_ex_vat == Decimal("110.00")
        await stack.drivers[second].delete_product((await stack.drivers[second].product("DELAD-1")).id)
        await stack.settle_all()
        assert ("DELAD-1" in stack.sim.articles) is not update_shared


@pytest.mark.parametrize("platform", platforms(lambda d: d.counts_writes))
@both_databases
async def test_an_unchanged_level_is_not_written_again_but_update_stock_now_writes_it(tmp_path, platform, database):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False,
                             database_url=database.url) as stack:
        await stack.driver.create_product("TS-1", stock=0)
        await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "T-shirt",
                                                         "priceExclVat": "100.00", "stock": {"1": 10}})
        await shop_stock(stack, "TS-1", 10)
        await stack.settle_all()
        before = await stack.driver.writes()

        # Specter reports the same level again (a user saves it unchanged).
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 10})
        events = await stack.settle_all()
        assert await stack.driver.writes() == before
        push = newest(events, "stock.push")
        assert (push.result["sent"], push.result["unchanged"]) == (0, 1)

        seen = max(e.id for e in events)
        status, _ = await stack.admin("POST", f"/tenants/{stack.tenant_id}/stock/resync")
        assert status == 202
        events = await stack.settle_all()
        assert len(await stack.driver.writes()) > len(before)
        pushes = {e.id: e.result for e in events if e.kind == "stock.push" and e.id > seen}
        assert sum(result["sent"] for result in pushes.values()) == 1, pushes
        assert (await stack.driver.product("TS-1")).stock == 10


@pytest.mark.parametrize("platform", platforms(lambda d: d.counts_writes))
async def test_an_order_status_the_shop_was_given_is_not_written_again(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await stack.driver.create_product("TS-1", stock=5)
        placed = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle_all()
        [sent] = stack.sim.orders.values()
        await stack.specter_control("POST", f"orders/{sent.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()
        assert (await stack.driver.order(placed.id)).status == "completed"
        before = await stack.driver.writes()

        # Specter flags the order again with nothing changed (its user saves it as it is).
        await stack.specter_control("POST", f"orders/{sent.order_no}/status", {"statusId": sent.status_id})
        events = await stack.settle_all()
        assert await stack.driver.writes() == before
        push = newest(events, "orders.push")
        assert push.status == "skipped", push.result
        assert push.result["reason"] == "the shop shows these changes already"
        assert [a["order"] for a in push.result["applied"]] == [placed.id]
