"""Stock per stock site and the product import, end to end: as an operator works them from the
command line, with Specter's user acting in the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.databases import both_databases
from tests.stack import Stack, running_stack, wait_for


async def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """``specter-gateway ARGS`` run by the operator on the running gateway's data."""
    env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(stack.config.data_dir),
                        "SPECTER_GATEWAY_SECRET_KEY": stack.config.secret_key}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "gateway.cli", *args], env=env,
                                   capture_output=True, text=True, timeout=60)


async def shop_stock(stack: Stack, sku: str, quantity: int) -> None:
    async def arrived() -> bool:
        product = await stack.driver.product(sku)
        return product is not None and product.stock == quantity

    await wait_for(arrived, 20, f"{sku} to have {quantity} in stock")


async def test_choosing_stock_sites_then_update_stock_gives_those_sites_levels(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        await stack.driver.create_product("TS-1", stock=0)
        await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "T-shirt",
                                                         "priceExclVat": "100.00", "stock": {"1": 4, "2": 3}})
        await shop_stock(stack, "TS-1", 7)  # no sites chosen: every site
        await stack.settle_all()

        for sites, expected in (('["1"]', 4), ('["1","2"]', 7), ('["2"]', 3), ("[]", 7)):
            done = await cli(stack, "tenant", "set", stack.tenant_id, "--setting", f"stock_sites={sites}")
            assert done.returncode == 0, done.stderr
            done = await cli(stack, "stock-resync", stack.tenant_id)
            assert done.returncode == 0, done.stderr
            await shop_stock(stack, "TS-1", expected)
            await stack.settle_all()
            assert (await stack.driver.product("TS-1")).stock == expected, sites


async def stock_push_results(stack: Stack) -> list[dict]:
    return [e.result for e in await stack.events(kind="stock.push") if e.result]


async def test_a_level_read_before_the_import_created_the_product_reaches_it(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        await stack.specter_control("POST", "articles", {"articleNo": "NEW-1", "name": "Ny vara",
                                                         "priceExclVat": "50.00", "stock": {"1": 5}})
        await stack.settle_all()  # import is off: the level is read before the shop has the product
        assert await stack.driver.product("NEW-1") is None
        assert any(r["not_in_shop_count"] == 1 for r in await stock_push_results(stack))

        await stack.set_settings(import_products=True)
        status, _ = await stack.admin("POST", f"/tenants/{stack.tenant_id}/import")
        assert status == 202
        await shop_stock(stack, "NEW-1", 5)


@both_databases
async def test_a_level_waits_for_a_product_added_in_the_shop(tmp_path, database):
    async with running_stack(tmp_path, export_product_on_change=False, database_url=database.url) as stack:
        await stack.specter_control("POST", "articles", {"articleNo": "NEW-2", "name": "Ny vara",
                                                         "priceExclVat": "50.00", "stock": {"1": 5}})
        await stack.settle_all()
        assert any(r["not_in_shop_count"] == 1 for r in await stock_push_results(stack))

        await stack.driver.create_product("NEW-2", stock=0)  # the shop owner adds it by hand
        await shop_stock(stack, "NEW-2", 5)
        await stack.settle_all()
        # The gateway's own stock write is announced by the shop again: nothing more goes.
        pushes = await stock_push_results(stack)
        assert sum(r["sent"] for r in pushes) == 1, pushes


async def import_events(stack: Stack) -> list:
    return await stack.events(kind="import.products")


async def test_import_brings_articles_an_earlier_pull_acknowledged(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        await stack.specter_control("POST", "articles", [
            {"articleNo": "A-1", "name": "Kopp", "priceExclVat": "50.00", "stock": {"1": 3}},
            {"articleNo": "B-1", "name": "Fat", "priceExclVat": "80.00"}])
        await stack.settle_all()  # read and acknowledged: Specter flags them no more
        assert (await stack.specter_control("GET", "flags"))["articleInfo"] == []
        assert await stack.driver.skus() == []

        done = await cli(stack, "tenant", "set", stack.tenant_id, "--setting", "import_products=true")
        assert done.returncode == 0, done.stderr
        done = await cli(stack, "import", stack.tenant_id)
        assert done.returncode == 0, done.stderr
        await stack.settle_all()
        assert sorted(await stack.driver.skus()) == ["A-1", "B-1"]
        assert (await stack.driver.product("B-1")).name == "Fat"
        await shop_stock(stack, "A-1", 3)
        [event] = await import_events(stack)
        assert event.status == "done" and event.result["articles"] == 2, event.result


async def test_an_import_with_nothing_read_says_how_to_get_articles(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False, import_products=True) as stack:
        done = await cli(stack, "import", stack.tenant_id)
        assert done.returncode == 0, done.stderr
        await stack.settle_all()
        [event] = await import_events(stack)
        assert event.result["articles"] == 0
        assert "flag the articles for the web shop" in event.result["help"]


async def test_import_is_refused_when_import_products_is_off(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        message = f"product import is off for shop '{stack.tenant_id}': turn on import_products first"
        done = await cli(stack, "import", stack.tenant_id)
        assert done.returncode != 0 and message in done.stderr, done.stderr

        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/import")
        assert status == 409 and message in str(body), body

        token = await stack.inbound_token()  # the legacy connector's get_specter_articles URL
        url = f"{stack.gateway.url}/shops/{stack.tenant_id}/get_specter_articles?token={token}"
        async with stack.http.post(url) as r:
            assert r.status == 409 and message in await r.text()
        assert await import_events(stack) == []
