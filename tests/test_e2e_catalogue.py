"""Customers, products and the bulk export, shop to Specter, end to end over loopback, for every
shop platform (tests/shops)."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal

import pytest

from tests.gateway_process import ADMIN_TOKEN
from tests.shops import PLATFORMS, Buyer, platforms
from tests.stack import running_stack

CUSTOMER = Buyer(email="kund@example.se", first_name="Karin", last_name="Ek", company="Ek & Co", street="Vägen 2",
                 city="Lund", zip_code="22100", phone="046-123")


def newest(events, kind: str):
    return max((e for e in events if e.kind == kind), key=lambda e: e.id)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_customers_go_to_specter_with_the_matching_flags(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        created = await stack.driver.create_customer(CUSTOMER)
        await stack.settle()
        assert len(stack.sim.customers) == 1
        [first] = stack.sim.customers.values()
        assert first.fields["ignoreControlEmail"] == "0" and first.fields["ignoreControlOrgNo"] == "0"
        assert first.fields["address"] == "Vägen 2"

        # Changed in the shop: Specter matches it on the e-mail and updates it.
        await stack.driver.update_customer(created, phone="046-999")
        await stack.settle()
        assert len(stack.sim.customers) == 1 and first.fields["phoneNo"] == "046-999"

        # Both ignore flags: Specter makes a new customer whatever it has; and the company name
        # setting moves the company into address line 1.
        await stack.set_settings(ignore_control_email=True, ignore_control_org_no=True, company_in_address_line1=True)
        await stack.driver.update_customer(created, phone="046-555")
        await stack.settle()
        assert len(stack.sim.customers) == 2
        newest_customer = list(stack.sim.customers.values())[-1]
        assert (
            newest_customer.fields["ignoreControlEmail"] == "1" and newest_customer.fields["ignoreControlOrgNo"] == "1"
        )
        assert (newest_customer.fields["address"], newest_customer.fields["addressRow2"]) == ("Ek & Co", "Vägen 2")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_product_changes_are_exported_but_never_stock_echoes(tmp_path, platform):
    # The shop owns its products' data: Specter's article data is not written to it.
    async with running_stack(tmp_path, platform=platform, article_sync=False) as stack:
        ts = await stack.driver.create_product("TS-1", price="100.00", stock=7)
        await stack.settle()
        article = stack.sim.articles["TS-1"]
        assert (article.name, article.price_ex_vat, sum(article.in_stock.values())) == (
            "Produkt TS-1",
            Decimal("100.00"),
            7,
        )

        await stack.driver.update_product(ts, price="120.00")
        await stack.settle()
        assert article.price_ex_vat == Decimal("120.00")

        # A stock change in the shop (as its own order or the gateway's stock write echoes back)
        # is never exported: Specter is master of stock.
        calls = dict(stack.specter.state.request_counts)
        await stack.driver.update_product(ts, stock=3)
        events = await stack.settle()
        assert sum(article.in_stock.values()) == 7
        assert dict(stack.specter.state.request_counts) == calls
        echo = newest(events, "shop.product")
        assert echo.status == "skipped" and "nothing Specter keeps has changed" in echo.result["reason"]

        await stack.set_settings(export_product_on_change=False)
        await stack.driver.update_product(ts, price="150.00")
        await stack.settle()
        assert article.price_ex_vat == Decimal("120.00")


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_deleting_a_product_deletes_it_in_specter_only_when_set(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        one = await stack.driver.create_product("ONE-1")
        two = await stack.driver.create_product("TWO-2")
        await stack.settle()
        assert {"ONE-1", "TWO-2"} <= set(stack.sim.articles)

        await stack.driver.delete_product(one)  # delete from Specter: on by default
        await stack.settle()
        assert "ONE-1" not in stack.sim.articles

        await stack.set_settings(delete_from_specter=False)
        await stack.driver.delete_product(two)
        await stack.settle()
        assert "TWO-2" in stack.sim.articles


@pytest.mark.parametrize("platform", platforms(lambda d: d.variants))
async def test_deleting_a_product_with_variants_deletes_every_variant(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        shirt = await stack.driver.create_product("TROJA", name="Tröja", variants=["TROJA-S", "TROJA-M"])
        await stack.driver.create_product("ONE-1")
        await stack.settle()
        assert {"TROJA-S", "TROJA-M", "ONE-1"} <= set(stack.sim.articles)
        assert "TROJA" not in stack.sim.articles  # the product itself is not sold

        await stack.driver.delete_product(shirt)
        await stack.settle()
        assert "TROJA-S" not in stack.sim.articles and "TROJA-M" not in stack.sim.articles
        assert "ONE-1" in stack.sim.articles


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_an_order_exports_its_missing_articles_first(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        await stack.driver.create_product("TS-9", price="80.00", stock=5)
        await stack.settle()
        assert "TS-9" not in stack.sim.articles  # not exported on change
        await stack.driver.place_order([("TS-9", 1)])
        events = await stack.settle()
        assert stack.sim.articles["TS-9"].price_ex_vat == Decimal("80.00")
        assert len(stack.sim.orders) == 1
        done = [e for e in events if e.kind == "shop.order" and e.status == "done"]
        assert done[0].result["articles_exported_first"] == ["TS-9"]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_bulk_export_sends_the_valid_and_lists_the_refused(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        await stack.driver.create_product("OK-1", stock=4)
        for sku in ("OK-2", "HAS SPACE", "BLÅ-1", "A,B"):
            await stack.driver.create_product(sku)
        await stack.driver.create_product("", name="No number")
        await stack.settle()
        env = os.environ | {
            "SPECTER_GATEWAY_DATA_DIR": str(stack.gw.config.data_dir),
            "SPECTER_GATEWAY_SECRET_KEY": stack.gw.config.secret_key,
            "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        # The CLI in its own process, as an operator runs it (a fake shop lives in this loop).
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "export",
            "products",
            stack.tenant_id,
            "--mode",
            "new",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        stdout = out.decode()
        assert proc.returncode == 0, err.decode()
        assert "6 read, 2 sent to Specter, 4 refused" in stdout
        refused = [line.split("\t") for line in stdout.splitlines() if line.startswith("refused")]
        reasons = {r[2]: r[3] for r in refused}
        assert "characters Specter cannot take" in reasons["HAS SPACE"] and "space" in reasons["HAS SPACE"]
        assert "'Å'" in reasons["BLÅ-1"] and "','" in reasons["A,B"]
        assert reasons[""] == "has no article number"
        assert {"OK-1", "OK-2"} <= set(stack.sim.articles)
        assert sum(stack.sim.articles["OK-1"].in_stock.values()) == 4  # new to Specter: stock goes along


# Only where two products may share an article number: WooCommerce and the PHP shop's table
# refuse a duplicate SKU.
@pytest.mark.parametrize("platform", platforms(lambda d: d.duplicate_skus))
async def test_bulk_export_refuses_a_second_product_with_the_same_number(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        first = await stack.driver.create_product("DUP-1", price="100.00")
        second = await stack.driver.create_product("DUP-1", price="300.00", name="Kopia")
        await stack.settle()
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/export", {"what": "products"})
        assert status == 202
        events = await stack.settle()
        report = next(e for e in events if e.id == body["event_id"]).result
        assert (report["seen"], report["sent"]) == (2, 1)
        [refused] = report["refused"]
        assert refused["shop_id"] == second and f"also used by product {first}" in refused["reason"]
        assert stack.sim.articles["DUP-1"].price_ex_vat == Decimal("100.00")  # the first one went


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_export_new_leaves_existing_articles_and_all_updates_them_but_not_stock(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform, export_product_on_change=False) as stack:
        tenant = stack.tenant_id
        ok = await stack.driver.create_product("OK-1", price="100.00", stock=4)
        await stack.settle()
        await stack.admin("POST", f"/tenants/{tenant}/export", {"what": "products", "mode": "new"})
        await stack.settle()
        article = stack.sim.articles["OK-1"]
        await stack.driver.update_product(ok, price="130.00", stock=99)
        await stack.settle()

        await stack.admin("POST", f"/tenants/{tenant}/export", {"what": "products", "mode": "new"})
        await stack.settle()
        assert article.price_ex_vat == Decimal("100.00")  # new: untouched

        status, body = await stack.admin("POST", f"/tenants/{tenant}/export", {"what": "products", "mode": "all"})
        assert status == 202
        events = await stack.settle()
        assert article.price_ex_vat == Decimal("130.00")  # all: updated ...
        assert sum(article.in_stock.values()) == 4  # ... but never its stock
        report = next(e for e in events if e.id == body["event_id"]).result
        assert (report["mode"], report["sent"], report["refused"]) == ("all", 1, [])


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_customer_export(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await stack.driver.create_customer(CUSTOMER)
        await stack.driver.create_customer(Buyer(email="", first_name="Utan", last_name="Post"))
        await stack.settle()
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/export", {"what": "customers"})
        assert status == 202
        events = await stack.settle()
        report = next(e for e in events if e.id == body["event_id"]).result
        assert report["seen"] == 2 and len(report["refused"]) == 1
        assert "no e-mail address" in report["refused"][0]["reason"]
