"""The connection test finds what would make a tenant's orders fail, says what to do, and creates
the service articles Specter lacks: on the command line and in the console, against the
Specter simulator and the fake shops."""

from __future__ import annotations

from decimal import Decimal

from gateway.connection_check import check_connection
from tests.cli_process import run_cli
from tests.console_client import Console, add_user, console_session
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack, wait_for


def _finding(report, area: str):
    return next(f for f in report.findings if f.area == area)


async def test_a_missing_service_article_is_found_created_and_the_dead_order_then_goes(tmp_path):
    async with running_stack(tmp_path, service_articles=False) as stack:
        shop = woocommerce(stack.driver)
        product = await shop.control("POST", "products", product_fields("TS-1"))
        await shop.checkout(order_payload([(product["id"], 1)], coupon_lines=[{"code": "rabatt10"}]))
        dead = [e for e in await stack.settle() if e.kind == "shop.order" and e.status == "dead"]
        assert dead and all("article 'RABATT' does not exist" in e.last_error for e in dead)

        checked = await run_cli(stack.config, "tenant", "connect", stack.tenant_id)  # connects, then tests
        assert checked.returncode == 0, checked.stderr  # a warning, not a failure: Specter cannot be asked
        assert '"callbacks": "registered"' in checked.stdout and "connection test of woo1:" in checked.stdout
        assert "WARN  Service articles: not known to exist in Specter: FRAKT (shipping), RABATT (discount)" \
            in checked.stdout
        assert "--create-service-articles" in checked.stdout
        assert "FRAKT" not in stack.sim.articles  # the test alone creates nothing

        created = await run_cli(stack.config, "tenant", "check", stack.tenant_id, "--create-service-articles")
        assert created.returncode == 0, created.stdout + created.stderr
        assert "ok    Service articles: Specter has FRAKT (shipping), RABATT (discount)" in created.stdout
        assert {"FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT", "PRESENTINSLAG"} <= set(stack.sim.articles)
        assert stack.sim.articles["FRAKT"].price_ex_vat == 0 and stack.sim.articles["FRAKT"].in_stock == {}

        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/events/retry")
        assert status == 200, body
        await wait_for(lambda: _orders(stack, 1), 20, "the order to reach Specter")
        [order] = stack.sim.orders.values()
        assert {"FRAKT", "RABATT"} <= {row.article_no for row in order.rows}


async def test_an_existing_service_article_is_left_as_it_is(tmp_path):
    async with running_stack(tmp_path) as stack:  # Specter has them, made by its user
        before = stack.sim.articles["FRAKT"]
        name, article_type = before.name, before.article_type
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        assert report.unconfirmed_articles  # the gateway cannot know them yet
        async with console_session() as http:
            console = Console(stack.gateway.url, http)
            await add_user(stack.gw, "support")
            await console.sign_in("support")
            status, page, _ = await console.post(f"/admin/tenants/{stack.tenant_id}/service-articles", {})
        assert status == 200
        assert 'id="create-service-articles"' not in page  # nothing left to offer
        assert "Specter has FRAKT (shipping), RABATT (discount)" in page
        after = stack.sim.articles["FRAKT"]
        assert (after.name, after.article_type) == (name, article_type) == ("Frakt", "TJ")


async def test_wrong_specter_keys_are_said_with_what_to_change(tmp_path):
    async with running_stack(tmp_path) as stack:
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        checked = await run_cli(stack.config, "tenant", "check", stack.tenant_id)
        assert checked.returncode == 1
        line = next(x for x in checked.stdout.splitlines() if "Specter:" in x)
        assert line.startswith("FAIL  Specter: Specter account acct (sbmId 1001)") and "refused the keys" in line
        assert "specter-gateway account set acct --set user_key=- --set integration_key=-" in checked.stdout
        assert "a-wrong-key" not in checked.stdout + checked.stderr


async def test_a_vat_rate_whose_tax_class_the_shop_left_empty_is_named(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        # An article at 12 % in Specter: the gateway reads it (and learns the rate Specter uses).
        await stack.specter_control("POST", "articles", {"articleNo": "BOOK-1", "name": "Bok", "priceExclVat": "100",
                                                         "vatPercent": "12"})
        await stack.settle_all()
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        taxes = _finding(report, "Tax classes")
        assert taxes.state == "fail" and not report.ok
        [problem] = taxes.details
        assert problem.startswith('12 %: goes to the tax class "Reduced rate" (reduced-rate), which has no rate at all')

        await shop.rest.request("POST", "taxes", body={"country": "SE", "rate": "12.0000", "name": "Moms 12",
                                                       "class": "reduced-rate"})
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        assert _finding(report, "Tax classes").state == "ok"
        assert _finding(report, "Tax classes").found.endswith("the VAT rates of Specter's articles: 12 %")


async def test_a_rate_the_tenant_maps_to_its_own_class_is_checked_in_that_class(tmp_path):
    async with running_stack(tmp_path, tax_classes={"6": "books"}) as stack:
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        taxes = _finding(report, "Tax classes")
        assert taxes.state == "warn" and "Sweden's VAT rates" in taxes.found  # nothing read from Specter yet
        six, twelve = taxes.details
        assert six.startswith("6 %: goes to the tax class 'books', which the shop does not have")
        assert twelve.startswith("12 %: goes to the tax class \"Reduced rate\"")


async def test_a_shop_url_with_the_wrong_scheme_is_said_in_words(tmp_path):
    async with running_stack(tmp_path) as stack:
        http_url = stack.driver.fake.url
        status, body = await stack.admin("PATCH", f"/tenants/{stack.tenant_id}",
                                         {"shop": {"url": http_url.replace("http://", "https://")}})
        assert status == 200, body
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        shop = _finding(report, "Shop")
        assert shop.state == "fail"
        assert "does not answer HTTPS" in shop.found and f"its URL starts with http:// ({http_url}" in shop.found
        assert "ssl:default" not in shop.found
        assert [f.area for f in report.findings] == ["Specter", "Service articles", "Shop"]


async def test_webhooks_are_repaired_and_a_missing_secret_is_named(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        hook = next(h for h in shop.fake.state.webhooks.values() if h.topic == "order.created")
        await shop.rest.update_webhook(hook.id, {"status": "disabled"})
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        webhooks = _finding(report, "Webhooks")
        assert webhooks.state == "ok" and "order.created re-activated" in webhooks.found
        assert shop.fake.state.webhooks[hook.id].status == "active"

        status, body = await stack.admin("PATCH", f"/tenants/{stack.tenant_id}", {"shop": {"webhook_secret": ""}})
        assert status == 200, body
        report = await check_connection(stack.gw, await stack.gw.tenant(stack.tenant_id))
        webhooks = _finding(report, "Webhooks")
        assert webhooks.state == "fail" and "no webhook secret is set" in webhooks.found


async def test_the_console_shows_the_test_and_creates_what_is_missing(tmp_path):
    async with running_stack(tmp_path, service_articles=False) as stack, console_session() as http:
        console = Console(stack.gateway.url, http)
        await add_user(stack.gw, "support")
        await console.sign_in("support")
        status, page, _ = await console.post(f"/admin/tenants/{stack.tenant_id}/test", {})
        assert status == 200
        assert 'data-area="Specter"' in page and "accepted the keys" in page
        assert 'id="create-service-articles"' in page and "FRAKT, RABATT, PRESENTKORT" in page
        assert "Tax classes" in page and "12 %" in page  # the fake shop keeps only the standard 25 %

        status, page, _ = await console.post(f"/admin/tenants/{stack.tenant_id}/service-articles", {})
        assert status == 200 and 'id="create-service-articles"' not in page
        assert "FRAKT" in stack.sim.articles and stack.sim.articles["FRAKT"].vat_percent == Decimal(25)


async def _orders(stack, count: int) -> bool:
    return len(stack.sim.orders) == count
