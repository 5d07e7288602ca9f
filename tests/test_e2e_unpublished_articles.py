"""Articles Specter does not publish in the web shop, imported end to end: created as drafts
where the shop can hold one, or left out and named in the import's result."""

from __future__ import annotations

import pytest

from tests.stack import Stack, running_stack

HIDDEN = {"articleNo": "HID-1", "name": "Internt reservdelskit", "priceExclVat": "40.00", "publishInWebshop": False}
SHOWN = {"articleNo": "PUB-1", "name": "Kopp", "priceExclVat": "50.00", "publishInWebshop": True}


async def push_results(stack: Stack) -> list[dict]:
    return [e.result for e in await stack.events(kind="articles.push") if e.result]


@pytest.mark.parametrize("platform", ["woocommerce", "abicart"])
async def test_an_article_not_for_the_web_shop_is_imported_as_a_draft(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False,
                             import_products=True) as stack:
        await stack.specter_control("POST", "articles", [HIDDEN, SHOWN])
        await stack.settle_all()
        hidden, shown = await stack.driver.product("HID-1"), await stack.driver.product("PUB-1")
        assert hidden is not None and not hidden.published
        assert shown is not None and shown.published


@pytest.mark.parametrize("platform", ["woocommerce", "abicart"])
async def test_a_product_already_in_the_shop_is_not_unpublished_by_an_update(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False,
                             import_products=True) as stack:
        await stack.driver.create_product("HID-1", name="Reservdelskit")
        await stack.specter_control("POST", "articles", [HIDDEN])
        await stack.settle_all()
        product = await stack.driver.product("HID-1")
        assert product is not None and product.name == HIDDEN["name"] and product.published


async def test_with_skip_an_article_not_for_the_web_shop_is_left_out_and_named(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False, import_products=True,
                             unpublished_articles="skip") as stack:
        await stack.specter_control("POST", "articles", [HIDDEN, SHOWN])
        await stack.settle_all()
        assert await stack.driver.skus() == ["PUB-1"]
        [result] = [r for r in await push_results(stack) if r["unpublished_count"]]
        assert result["unpublished"] == ["HID-1"]
        assert "unpublished_articles is skip" in result["unpublished_reason"]


async def test_a_shop_without_unpublished_products_leaves_them_out_and_says_why(tmp_path):
    async with running_stack(tmp_path, platform="legacy_php", export_product_on_change=False,
                             import_products=True) as stack:
        await stack.specter_control("POST", "articles", [HIDDEN, SHOWN])
        await stack.settle_all()
        assert await stack.driver.skus() == ["PUB-1"]
        [result] = [r for r in await push_results(stack) if r["unpublished_count"]]
        assert result["unpublished"] == ["HID-1"]
        assert "cannot hold a product unpublished" in result["unpublished_reason"]
