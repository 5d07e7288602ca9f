"""The demo as a newcomer sees it: signed in with the password it printed, the console shows a
tenant for each platform's simulated shop, orders arriving from each and reaching Specter, and
Specter's stock, prices and deliveries reaching the shops."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time

from playwright.async_api import Page, expect

from gateway.config import GatewayConfig
from gateway.demo import DemoStream, start_demo
from gateway.demo.catalogue import PRODUCTS
from gateway.store.base import OPEN_STATUSES, EventFilter
from tests.browser import chromium
from tests.gateway_process import free_port
from tests.shops.legacy_php import ensure_php

WAIT_MS = 30_000
SHOWN_WITHIN_S = 60.0  # the "within a minute"; a bound for waiting, not a measurement


async def _reload_until(page: Page, selector: str, text: str) -> None:
    """The console's pages are rendered once: look again until ``selector`` shows ``text``."""
    deadline = time.monotonic() + SHOWN_WITHIN_S
    while text not in await page.locator(selector).inner_text():
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        await asyncio.sleep(0.5)
        await page.reload()


async def _settled(demo) -> None:
    """No event of any tenant, or of the account, is open."""
    store = demo.gw.store
    deadline = time.monotonic() + SHOWN_WITHIN_S
    while True:
        open_ = [e for t in demo.tenants for e in await store.list_events(EventFilter(tenant_id=t.tenant.id, limit=500))
                 if e.status in OPEN_STATUSES]
        open_ += [e for e in await store.list_events(EventFilter(account_id="demo", limit=500))
                  if e.status in OPEN_STATUSES]
        if not open_:
            return
        assert time.monotonic() < deadline, f"events stayed open: {[(e.kind, e.status, e.last_error) for e in open_]}"
        await asyncio.sleep(0.1)


async def test_the_demo_console_shows_orders_arriving_from_every_shop(tmp_path):
    ensure_php()  # the legacy PHP shop is the real scripts under php -S
    config = GatewayConfig(data_dir=tmp_path / "data", reconcile_seconds=0.5, retry_base_seconds=0.2)
    demo = await start_demo(config, "127.0.0.1", free_port(), workdir=tmp_path / "shops")
    said: list[str] = []
    stream = asyncio.create_task(DemoStream(demo, said.append, seed=7).run(0.2))
    try:
        assert demo.password and demo.left_out == {}
        assert [t.tenant.id for t in demo.tenants] == ["demo-abicart", "demo-php", "demo-woo"]
        async with chromium() as browser:
            page = await browser.new_page()
            page.set_default_timeout(WAIT_MS)
            await page.goto(demo.url + "/")
            await page.get_by_label("Name").fill("admin")
            await page.get_by_label("Password").fill(demo.password)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.locator("h1")).to_have_text("Tenants")
            for tenant in demo.tenants:
                row = f'tr[data-tenant="{tenant.tenant.id}"]'
                await expect(page.locator(row)).to_contain_text(tenant.tenant.name)
                await _reload_until(page, f"{row} dl.flows", "Orders to Specter")
                await _reload_until(page, f"{row} dl.flows", "Stock from Specter")
                await _reload_until(page, f"{row} dl.flows", "Order status from Specter")
            await expect(page.locator("tr.failing")).to_have_count(0)  # nothing failed on the way

            await page.locator('tr[data-tenant="demo-woo"] a').first.click()
            await page.get_by_role("link", name="Event log").first.click()
            await page.locator("select[name=kind]").select_option("shop.order")
            await page.locator("select[name=status]").select_option("done")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.locator("tr.done").first).to_be_visible()
    finally:
        stream.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stream
        try:
            await _settled(demo)
            account = demo.account
            prefixes = {o.external_order_no.split("-")[0] for o in account.orders.values()}
            assert prefixes == {"WOO", "ABI", "PHP"}, said
            assert {"FRAKT", "RABATT"} <= set(account.articles)  # the service articles were made sure of
            # Stock reached the shops: the WooCommerce shop sells what Specter has available.
            woo = next(t for t in demo.tenants if t.tenant.id == "demo-woo").shop.fake.state
            for product in PRODUCTS:
                available = sum(account.articles[product.article_no].available_by_site().values())
                assert woo.by_sku(product.article_no)["stock_quantity"] == available, product.article_no
        finally:
            await demo.stop()


def test_a_demo_on_a_port_in_use_says_so_and_starts_nothing(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "gateway.cli", "demo", "--port", str(port)], capture_output=True,
                              text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: the demo could not start: nothing can listen on 127.0.0.1:{port} "
                                   "(Address already in use): choose another port with --port")
    assert done.stdout == "" and list(tmp_path.iterdir()) == []
