"""Finding an order in the admin console with a real browser (Debian's Chromium through
Playwright), against the whole system on loopback: fake WooCommerce -> gateway -> Specter
simulator. What a support person does on a bad day: search, open the order, read its story,
and send it now."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import chromium, sign_in
from tests.console_client import PASSWORD, add_user
from tests.shops.base import Buyer
from tests.stack import Stack, running_stack

WAIT_MS = 30_000  # how long a page may take to show what is awaited (not a measured duration)


async def _signed_in_page(stack: Stack, browser, name: str = "support") -> Page:
    await add_user(stack.gw, name)
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await sign_in(page, stack.gateway.url, name, PASSWORD)
    return page


async def _search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Find an order or article")
    await box.fill(text)
    await box.press("Enter")


def _specter_order_no(stack: Stack, external_no: str) -> str:
    return next(o.order_no for o in stack.sim.orders.values() if o.external_order_no == external_no)


async def test_an_order_found_by_e_mail_tells_its_story_in_time_order(tmp_path):
    async with running_stack(tmp_path, order_status_map={"delivered": "completed"}) as stack, \
            chromium() as browser:
        await stack.driver.create_product("TS-1", stock=20)
        await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "Artikel TS-1",
                                                         "priceExclVat": "100.00", "stock": {"1": 20}})
        await stack.settle_all()
        placed = await stack.driver.place_order([("TS-1", 2)], buyer=Buyer(email="kund@example.se"))
        await stack.settle_all()
        specter_no = _specter_order_no(stack, placed.number)
        await stack.specter_control("POST", f"orders/{specter_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()

        page = await _signed_in_page(stack, browser)
        await _search(page, "KUND@example.se")
        row = page.locator(f'#search-results tr[data-kind="order"][data-id="{placed.id}"]')
        await expect(row).to_contain_text("customer e-mail kund@example.se")
        await expect(row.locator("td.state")).to_contain_text("in Specter")
        await row.get_by_role("link", name=f"Order {placed.number}").click()

        await expect(page.locator("h1")).to_contain_text(f"Order {placed.number}")
        await expect(page.locator("#specter-order-no")).to_have_text(specter_no)
        story = page.locator("#order-story table.story tbody tr")
        await expect(story.first.locator(".title")).to_have_text("The shop's webhook: order created")
        sent = story.filter(has_text="Attempt 1: done").first
        await expect(sent.locator(".detail")).to_contain_text(f"in Specter as order {specter_no}")
        delivered = story.filter(has_text="Specter: delivered")
        await expect(delivered.locator(".detail")).to_contain_text("tracking numbers PN123SE")
        titles = await story.locator(".title").all_inner_texts()
        assert titles.index("Attempt 1: done") < titles.index("Specter: delivered")  # in time order
        await expect(page.locator('#order-stock tr[data-article="TS-1"]')).to_contain_text("18")

        await page.locator("#order-stock").get_by_role("link", name="TS-1").click()
        await expect(page.locator("h1")).to_contain_text("Article TS-1")
        await expect(page.locator("#article-specter")).to_contain_text("Artikel TS-1")
        await expect(page.locator("#article-levels")).to_contain_text("18")
        await expect(page.locator("#article-orders")).to_contain_text(placed.id)
        await expect(page.locator("#article-drift")).to_contain_text("No reconciliation has reported")


async def test_export_order_now_sends_an_order_waiting_for_a_manual_export(tmp_path):
    async with running_stack(tmp_path, order_export="manual") as stack, chromium() as browser:
        await stack.driver.create_product("TS-1", stock=20)
        placed = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        assert stack.sim.orders == {}

        page = await _signed_in_page(stack, browser)
        await _search(page, placed.number)
        await page.locator(f'#search-results tr[data-id="{placed.id}"] a').click()
        await expect(page.locator("#order-manual")).to_contain_text("Order export is manual")
        await expect(page.locator("#order-in-specter")).to_have_text("Not in Specter.")
        waiting = page.locator("#order-story tr.attempt").filter(has_text="nothing to do").first
        await expect(waiting.locator(".detail")).to_contain_text("order export is manual")

        await page.get_by_role("button", name="Export order now").click()
        await expect(page.get_by_role("status")).to_contain_text("Queued for Specter")
        # The page follows the export until it is done: Specter's number appears by itself.
        await expect(page.locator("#order-in-specter")).to_contain_text("In Specter as order")
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == placed.number
        await expect(page.locator("#specter-order-no")).to_have_text(sent.order_no)
        story = page.locator("#order-story table.story tbody tr")
        await expect(story.filter(has_text='"Export order now"')).to_have_count(1)
        await page.reload()
        await expect(page.locator("#order-manual")).to_have_count(0)  # in Specter now
