"""Stock per stock site and the product import, end to end: as an operator works them from the
command line, with Specter's user acting in the simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

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
        stack.sim.info_flow.flag(["NEW-1"])  # a Specter user flags the article for the web shop
        status, _ = await stack.admin("POST", f"/tenants/{stack.tenant_id}/import")
        assert status == 202
        await shop_stock(stack, "NEW-1", 5)


async def test_a_level_waits_for_a_product_added_in_the_shop(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
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
