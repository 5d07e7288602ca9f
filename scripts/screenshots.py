"""Screenshots of the admin console for the README: docs/screenshots/{signin,tenants,tenant,events,search,order,
article}.png.

Runs the same loopback stack as the tests (Specter simulator, fake WooCommerce, gateway), makes
a little history (orders, one failed for a wrong Specter key, one delivered with a tracking
number, an export, a webhook the shop disabled and the next poll re-activated) and photographs each
page with Debian's Chromium. Run from the checkout: ``.venv/bin/python scripts/screenshots.py``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' stack lives in tests/

from gateway.engine.poller import poll_once  # noqa: E402
from tests.browser import chromium, sign_in  # noqa: E402
from tests.console_client import PASSWORD, add_user  # noqa: E402
from tests.shops.woocommerce import order_payload, product_fields, woocommerce  # noqa: E402
from tests.stack import running_stack  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        async with running_stack(Path(tmp)) as stack, chromium() as browser:
            await stack.admin("PATCH", "/tenants/woo1", {"name": "Åsa's Garden Shop"})
            shop = woocommerce(stack.driver)
            ts = await shop.control("POST", "products", product_fields("TS-1"))
            await shop.control("POST", "products/bulk", {"count": 12, "prefix": "GARDEN-"})
            await stack.settle()
            await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "Garden trowel",
                                                             "priceExclVat": "100.00", "stock": {"1": 40}})
            await stack.settle_all()
            first = await shop.checkout(order_payload([(ts["id"], 2)]))
            await stack.settle_all()
            specter_no = next(o.order_no for o in stack.sim.orders.values())
            await stack.specter_control("POST", f"orders/{specter_no}/deliver", {"trackingNo": "PN123456789SE"})
            await stack.settle_all()
            await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
            await shop.checkout(order_payload([(ts["id"], 1)]))
            await stack.settle()
            await stack.admin("PATCH", "/accounts/acct", {"integration_key": "integration-key-1"})
            await stack.admin("POST", "/tenants/woo1/export", {"what": "products", "mode": "all"})
            await stack.settle()
            hook = next(h for h in shop.fake.state.webhooks.values() if h.topic == "order.created")
            await shop.rest.update_webhook(hook.id, {"status": "disabled"})  # as after failed deliveries
            await poll_once(stack.gw)  # re-activates it
            await stack.settle()
            await add_user(stack.gw, "support")

            page = await browser.new_page(viewport=VIEWPORT)
            base = stack.gateway.url
            await page.goto(base + "/admin/signin")
            await page.screenshot(path=OUT / "signin.png")
            await sign_in(page, base, "support", PASSWORD)
            await page.screenshot(path=OUT / "tenants.png", full_page=True)
            await page.goto(base + "/admin/tenants/woo1")
            await page.get_by_role("button", name="Register callbacks and webhooks").click()
            await page.get_by_role("button", name="Test shop connection").click()
            await page.screenshot(path=OUT / "tenant.png", full_page=True)
            await page.goto(base + "/admin/tenants/woo1/events")
            await page.screenshot(path=OUT / "events.png", full_page=True)
            await page.goto(base + "/admin/search?q=asa@example.se")
            await page.screenshot(path=OUT / "search.png", full_page=True)
            await page.goto(base + f"/admin/tenants/woo1/orders/{first['id']}")
            await page.screenshot(path=OUT / "order.png", full_page=True)
            await page.goto(base + "/admin/tenants/woo1/articles/TS-1")
            await page.screenshot(path=OUT / "article.png", full_page=True)
    print(f"screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
