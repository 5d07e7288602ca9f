"""The admin console in a real browser (Debian's Chromium through Playwright) against the whole
system on loopback: fake WooCommerce -> gateway -> Specter simulator."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect

from gateway.engine.poller import poll_once
from gateway.simulators.specter.faults import FaultConfig
from tests.browser import chromium, sign_in
from tests.console_client import PASSWORD, add_user
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack, wait_for

WAIT_MS = 30_000  # how long a page may take to show what is awaited (not a measured duration)


async def _signed_in_page(stack, browser, name: str = "support", tenant_id: str | None = None) -> Page:
    await add_user(stack.gw, name, tenant_id)
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await sign_in(page, stack.gateway.url, name, PASSWORD)
    return page


async def _show_events(page: Page, kind: str = "", status: str = "") -> None:
    await page.get_by_role("link", name="Event log").first.click()
    await page.locator("select[name=kind]").select_option(kind)
    await page.locator("select[name=status]").select_option(status)
    await page.get_by_role("button", name="Filter").click()


async def test_a_setting_changed_in_the_console_takes_effect(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        page = await _signed_in_page(stack, browser)
        await page.locator('tr[data-tenant="woo1"] a').first.click()
        await page.locator("#settings-form select[name=order_export]").select_option("inactive")
        await page.get_by_role("button", name="Save settings").click()
        await expect(page.get_by_role("status")).to_have_text("Settings saved.")
        await expect(page.locator("#settings-form select[name=order_export]")).to_have_value("inactive")

        ts = await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
        await woocommerce(stack.driver).checkout(order_payload([(ts["id"], 1)]))
        await stack.settle()
        await _show_events(page, kind="shop.order")
        await expect(page.locator("tr.skipped .outcome").first).to_have_text("order export is inactive")
        assert stack.sim.orders == {}


async def test_a_failed_order_shows_its_reason_and_transfer_again_sends_it(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        ts = await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
        await stack.settle()
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        await woocommerce(stack.driver).checkout(order_payload([(ts["id"], 1)]))
        await stack.settle()

        page = await _signed_in_page(stack, browser)
        failing = page.locator('tr.failing[data-tenant="woo1"]')
        await expect(failing).to_contain_text("key")  # the tenants page shows the last error
        await failing.locator("a.bad").click()  # the count of failed events: the failed events
        row = page.locator("tr.dead").first
        await expect(row.locator("td").nth(1)).to_have_text("shop.order")
        await expect(row.locator(".outcome")).to_contain_text("key")
        assert "a-wrong-key" not in await page.content()

        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "integration-key-1"})
        await page.get_by_role("button", name="Transfer all failed again").click()
        await expect(page.get_by_role("status")).to_have_text("Queued again.")
        await wait_for(lambda: _orders_in_specter(stack), 20, "the order to reach Specter")
        await stack.settle()
        await page.reload()
        await expect(page.locator("tr.dead")).to_have_count(0)
        assert len(stack.sim.orders) == 1


async def _orders_in_specter(stack) -> bool:
    return len(stack.sim.orders) == 1


async def test_an_export_shows_its_progress_until_it_is_done(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        await woocommerce(stack.driver).control("POST", "products/bulk", {"count": 30, "prefix": "EXP-"})
        page = await _signed_in_page(stack, browser)
        await page.goto(stack.gateway.url + "/admin/tenants/woo1")
        # Specter is down for a (simulated) minute: the export reads the shop, then waits to retry.
        now = [0.0]
        stack.specter.faults.clock = lambda: now[0]
        stack.specter.faults.configure(FaultConfig(down_for_s=60))
        await page.get_by_role("button", name="Export all products").click()
        await expect(page.locator("h1")).to_contain_text("export.products")
        await expect(page.locator("#event-state")).to_have_text("retry")  # the page follows it live
        await expect(page.locator("#event-progress")).to_contain_text("30")
        await expect(page.locator("#event-error")).to_contain_text("503")

        now[0] += 61  # Specter is back
        await expect(page.locator("#event-state")).to_have_text("done")
        await expect(page.locator("#event-result")).to_have_text("Read 30, sent 30 to Specter, refused 0.")
        assert {f"EXP-{n}" for n in range(30)} <= set(stack.sim.articles)


async def test_a_tenant_user_cannot_open_another_tenants_pages(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        await stack.set_settings(external_order_prefix="S1-")  # two shops on one account: distinct prefixes
        status, body = await stack.admin("POST", "/tenants", {
            "id": "other", "name": "Other shop", "platform": "woocommerce", "account_id": "acct",
            "shop": {"url": stack.driver.fake.url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake"},
            "settings": {"external_order_prefix": "S2-"}})
        assert status == 201, body
        page = await _signed_in_page(stack, browser, "owner", tenant_id="other")
        await expect(page.locator("h1")).to_contain_text("Other shop")  # signed in to its own tenant
        await expect(page.get_by_role("link", name="Tenants")).to_have_count(0)

        for path in ("/admin/tenants/woo1", "/admin/tenants/woo1/events", "/admin/tenants/woo1/events/1"):
            response = await page.goto(stack.gateway.url + path)
            assert response.status == 404, path
            assert "woo1" not in (await page.content()).replace("unknown tenant 'woo1'", "")
        await page.goto(stack.gateway.url + "/admin/")
        await expect(page.locator("h1")).to_contain_text("Other shop")


async def test_webhooks_the_shop_disabled_are_re_activated_and_shown_and_backfill_reports_what_it_found(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()
        await stack.stop_gateway()
        for _ in range(7):  # the seventh failed delivery in a row: the shop disables the webhook
            await shop.checkout(order_payload([(ts["id"], 1)]))
        await stack.start_gateway(same_port=True)
        await poll_once(stack.gw)  # the next poll (if the one at start-up was not first)
        await wait_for(lambda: _orders_in_specter_are(stack, 7), 20, "the orders to reach Specter")
        await stack.settle()

        page = await _signed_in_page(stack, browser)
        row = page.locator('tr[data-tenant="woo1"]')
        await expect(row.locator("td.webhooks")).to_contain_text("active")
        await expect(row.locator("td.webhooks")).to_contain_text("order.created re-activated")
        await row.locator("a").first.click()
        await expect(page.locator("#webhook-summary")).to_contain_text("active")
        await expect(page.locator('#webhooks tr[data-topic="order.created"]')).to_contain_text("active")
        await expect(page.locator("#webhook-repairs")).to_contain_text("order.created webhook")
        await expect(page.locator("#webhook-repairs")).to_contain_text("re-activated (it was disabled)")

        await page.locator("#backfill-since").fill((dt.date.today() - dt.timedelta(days=1)).isoformat())
        await page.get_by_role("button", name="Backfill orders").click()
        await expect(page.locator("#backfill-result")).to_contain_text("7 orders changed since")
        await expect(page.locator("#backfill-result")).to_contain_text("0 queued")
        await expect(page.locator("#backfill-result")).to_contain_text("7 already in Specter")
        assert len(stack.sim.orders) == 7


async def _orders_in_specter_are(stack, count: int) -> bool:
    return len(stack.sim.orders) == count
