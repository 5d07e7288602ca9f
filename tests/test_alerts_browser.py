"""Alerts and the sign-in limit in a real browser (Debian's Chromium through Playwright), the
whole system on loopback: fake WooCommerce -> gateway -> Specter simulator, and a real SMTP
server (aiosmtpd) that the alert e-mails reach."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser import chromium, sign_in
from tests.console_client import PASSWORD, add_user
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.smtp_server import Inbox, smtp_server, use_smtp
from tests.stack import running_stack, wait_for

WAIT_MS = 30_000  # how long a page may take to show what is awaited (not a measured duration)


async def _alert_mail(inbox: Inbox):
    found = [m for m in inbox.messages() if "report for" not in m.subject]
    return found or None


async def test_an_order_that_goes_dead_reaches_the_address_set_in_the_console(tmp_path):
    with smtp_server() as inbox:
        async with running_stack(tmp_path) as stack, chromium() as browser:
            use_smtp(stack.gw.config, inbox)
            await add_user(stack.gw, "support")
            page = await browser.new_page()
            page.set_default_timeout(WAIT_MS)
            await sign_in(page, stack.gateway.url, "support", PASSWORD)
            await page.locator('tr[data-tenant="woo1"] a').first.click()
            await page.get_by_role("link", name="Alerts").click()
            await page.get_by_label("E-mail to").fill("ops@shop.test")
            await page.get_by_role("button", name="Save alerts").click()
            await expect(page.get_by_role("status")).to_have_text("Alerts saved.")
            await expect(page.get_by_label("E-mail to")).to_have_value("ops@shop.test")

            # The shop's shipping article is missing in Specter: the order fails for good.
            await stack.set_settings(shipping_article_no="FRAKT-X")
            shop = woocommerce(stack.driver)
            ts = await shop.control("POST", "products", product_fields("TS-1"))
            await shop.checkout(order_payload([(ts["id"], 1)]))
            [mail] = await wait_for(lambda: _alert_mail(inbox), 30, "the alert e-mail")
            assert mail.to == ["ops@shop.test"]
            assert "Work failed for good" in mail.subject and "FRAKT-X" in mail.text

            await page.reload()
            sent = page.locator('#alert-messages tr[data-cause="event_dead"]').first
            await expect(sent).to_contain_text("e-mail")
            await expect(sent).to_contain_text("sent")
            await expect(page.locator('#alerts tr[data-cause="event_dead"]').first).to_contain_text("FRAKT-X")


async def test_repeated_wrong_passwords_lock_the_sign_in_and_say_until_when(tmp_path):
    async with running_stack(tmp_path) as stack, chromium() as browser:
        stack.gw.config.signin_max_failures_user = 3
        await add_user(stack.gw, "support")
        page = await browser.new_page()
        page.set_default_timeout(WAIT_MS)
        for _ in range(2):
            await sign_in(page, stack.gateway.url, "support", "not the password")
            await expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
        await sign_in(page, stack.gateway.url, "support", "not the password")
        await expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins for this user name")
        await expect(page.get_by_role("alert")).to_contain_text("locked until")

        await sign_in(page, stack.gateway.url, "support", PASSWORD)  # the right one, while locked
        await expect(page.get_by_role("alert")).to_contain_text("locked until")
        await expect(page.locator("h1")).to_have_text("Sign in")
        await stack.gw.store.clear_signin_failures("user:support")  # as when the lock-out time has passed
        await sign_in(page, stack.gateway.url, "support", PASSWORD)
        await expect(page.locator('tr[data-tenant="woo1"]')).to_have_count(1)
