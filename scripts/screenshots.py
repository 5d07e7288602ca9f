"""Screenshots of the admin console for the README: docs/screenshots/{signin,tenants,tenant,events,
connection-test,search,order,article,demo}.png.

Runs the same loopback stack as the tests (Specter simulator, fake WooCommerce, gateway), makes
a little history (orders, one failed for a wrong Specter key, one delivered with a tracking
number, an export, a webhook the shop disabled and the next poll re-activated) and photographs each
page with Debian's Chromium; then runs the demo (``specter-gateway demo``) until each of its shops
has sent orders, and photographs its console. Run from the checkout:
``.venv/bin/python scripts/screenshots.py``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' stack lives in tests/

from gateway.config import GatewayConfig  # noqa: E402
from gateway.demo import DemoStream, start_demo  # noqa: E402
from gateway.engine.poller import poll_once  # noqa: E402
from tests.browser import chromium, sign_in  # noqa: E402
from tests.console_client import PASSWORD, add_user  # noqa: E402
from tests.gateway_process import free_port  # noqa: E402
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
            await page.get_by_role("button", name="Test connection").click()
            await page.screenshot(path=OUT / "tenant.png", full_page=True)
            await page.locator("section.connection").screenshot(path=OUT / "connection-test.png")
            await page.goto(base + "/admin/tenants/woo1/events")
            await page.screenshot(path=OUT / "events.png", full_page=True)
            await page.goto(base + "/admin/search?q=asa@example.se")
            await page.screenshot(path=OUT / "search.png", full_page=True)
            await page.goto(base + f"/admin/tenants/woo1/orders/{first['id']}")
            await page.screenshot(path=OUT / "order.png", full_page=True)
            await page.goto(base + "/admin/tenants/woo1/articles/TS-1")
            await page.screenshot(path=OUT / "article.png", full_page=True)
    await demo_console()
    print(f"screenshots in {OUT.relative_to(ROOT)}")


async def demo_console() -> None:
    """The demo's tenants page once every shop's orders have reached Specter."""
    with tempfile.TemporaryDirectory() as tmp:
        config = GatewayConfig(data_dir=Path(tmp) / "data")
        demo = await start_demo(config, "127.0.0.1", free_port(), workdir=Path(tmp) / "shops")
        stream = asyncio.create_task(DemoStream(demo, lambda _: None, seed=3).run(0.5))
        try:
            async with chromium() as browser:
                page = await browser.new_page(viewport=VIEWPORT)
                assert demo.password is not None
                await sign_in(page, demo.url, "admin", demo.password)
                for _ in range(120):
                    flows = await page.locator("dl.flows").all_inner_texts()
                    if len(flows) == len(demo.tenants) and all("Order status from Specter" in f for f in flows):
                        break
                    await asyncio.sleep(0.5)
                    await page.reload()
                await page.screenshot(path=OUT / "demo.png", full_page=True)
        finally:
            stream.cancel()
            await asyncio.gather(stream, return_exceptions=True)
            await demo.stop()


if __name__ == "__main__":
    asyncio.run(main())
