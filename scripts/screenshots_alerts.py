"""Screenshots of the alert, report, Specter account and sign-in lock-out pages for the README:
docs/screenshots/{alerts,reports,report,accounts,account,lockout}.png.

Runs the same loopback stack as the tests (Specter simulator, fake WooCommerce, gateway) with a
real SMTP server on loopback, makes a little history (orders, one healed after Specter was
down, two failed for a missing shipping article, a webhook the shop disabled) and photographs
each page with Debian's Chromium. Run from the checkout:
``.venv/bin/python scripts/screenshots_alerts.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' stack lives in tests/

from gateway.alerts import notify  # noqa: E402
from gateway.alerts.reports import make_due_reports  # noqa: E402
from gateway.engine.poller import poll_once  # noqa: E402
from gateway.simulators.specter.faults import FaultConfig  # noqa: E402
from tests.browser import chromium, sign_in  # noqa: E402
from tests.console_client import PASSWORD, add_user  # noqa: E402
from tests.shops.woocommerce import order_payload, product_fields, woocommerce  # noqa: E402
from tests.smtp_server import smtp_server, use_smtp  # noqa: E402
from tests.stack import running_stack, wait_for  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


async def _retrying(stack):  # type: ignore[no-untyped-def]
    return [e for e in await stack.events() if e.status == "retry"] or None


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with smtp_server() as inbox, tempfile.TemporaryDirectory() as tmp:
        async with running_stack(Path(tmp), shops=2) as stack, chromium() as browser:
            gw = stack.gw
            use_smtp(gw.config, inbox)
            await stack.admin("PATCH", "/tenants/woo1", {"name": "Åsa's Garden Shop"})
            await stack.admin("PATCH", "/tenants/woo2", {"name": "Garden Outlet"})
            await stack.admin("PATCH", "/tenants/woo1/alerts", {"emails": ["ops@garden.example"]})
            shop = woocommerce(stack.driver)
            ts = await shop.control("POST", "products", product_fields("TS-1"))
            await stack.settle()
            now = [0.0]  # Specter down for a (simulated) minute: an order waits, then goes through
            stack.specter.faults.clock = lambda: now[0]
            stack.specter.faults.configure(FaultConfig(down_for_s=60))
            await shop.checkout(order_payload([(ts["id"], 2)]))
            await wait_for(lambda: _retrying(stack), 20, "the order to wait")
            now[0] += 61
            await stack.settle()
            await stack.set_settings(shipping_article_no="FRAKT-X")
            for _ in range(2):
                await shop.checkout(order_payload([(ts["id"], 1)]))
            await stack.settle()
            await stack.set_settings(shipping_article_no="FRAKT")
            hook = next(h for h in shop.fake.state.webhooks.values() if h.topic == "order.created")
            await shop.rest.update_webhook(hook.id, {"status": "disabled"})  # as after failed deliveries
            await poll_once(gw)
            await notify(gw, "woo1", "reconciliation", "order 1042 is in the shop but not in Specter")
            await stack.settle()
            tomorrow = dt.datetime.now().astimezone() + dt.timedelta(days=1)
            [made] = [r for r in await make_due_reports(gw, tomorrow.replace(hour=gw.config.report_hour))
                      if r.tenant_id == "woo1"]
            await add_user(gw, "support")

            page = await browser.new_page(viewport=VIEWPORT)
            base = stack.gateway.url
            await sign_in(page, base, "support", PASSWORD)
            await page.goto(base + "/admin/tenants/woo1/alerts")
            await page.screenshot(path=OUT / "alerts.png", full_page=True)
            await page.goto(base + f"/admin/tenants/woo1/reports/{made.day}")
            await page.screenshot(path=OUT / "report.png", full_page=True)
            await page.goto(base + "/admin/accounts")
            await page.screenshot(path=OUT / "accounts.png", full_page=True)
            await page.goto(base + "/admin/accounts/acct")
            await page.get_by_role("button", name="Test the keys").click()
            await page.screenshot(path=OUT / "account.png", full_page=True)

            gw.config.signin_max_failures_user = 3
            other = await browser.new_page(viewport=VIEWPORT)
            for _ in range(3):
                await sign_in(other, base, "support", "not the password")
            await other.screenshot(path=OUT / "lockout.png")
    print(f"screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
