"""Customers, products and the bulk export, shop to Specter, end to end over loopback."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal

from tests.conftest import ADMIN_TOKEN
from tests.stack import order_payload, product, running_stack, shop_client

CUSTOMER = {"email": "kund@example.se", "first_name": "Karin", "last_name": "Ek",
            "billing": {"first_name": "Karin", "last_name": "Ek", "company": "Ek & Co", "address_1": "Vägen 2",
                        "city": "Lund", "postcode": "22100", "country": "SE", "email": "kund@example.se",
                        "phone": "046-123"}}


async def test_customers_go_to_specter_with_the_matching_flags(tmp_path):
    async with running_stack(tmp_path) as stack:
        created = await stack.shop_control("POST", "customers", CUSTOMER)
        await stack.settle()
        assert len(stack.sim.customers) == 1
        [first] = stack.sim.customers.values()
        assert first.fields["ignoreControlEmail"] == "0" and first.fields["ignoreControlOrgNo"] == "0"
        assert first.fields["address"] == "Vägen 2"

        # Changed in the shop: Specter matches it on the e-mail and updates it.
        woo = shop_client(stack)
        await woo.request("PUT", f"customers/{created['id']}", body={"billing": {"phone": "046-999"}})
        await stack.settle()
        assert len(stack.sim.customers) == 1 and first.fields["phoneNo"] == "046-999"

        # Both ignore flags: Specter makes a new customer whatever it has; and the company name
        # setting moves the company into address line 1.
        await stack.set_settings(ignore_control_email=True, ignore_control_org_no=True, company_in_address_line1=True)
        await woo.request("PUT", f"customers/{created['id']}", body={"billing": {"phone": "046-555"}})
        await stack.settle()
        assert len(stack.sim.customers) == 2
        newest = list(stack.sim.customers.values())[-1]
        assert newest.fields["ignoreControlEmail"] == "1" and newest.fields["ignoreControlOrgNo"] == "1"
        assert (newest.fields["address"], newest.fields["addressRow2"]) == ("Ek & Co", "Vägen 2")


async def test_product_changes_are_exported_but_never_stock_echoes(tmp_path):
    async with running_stack(tmp_path) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-1", price="100.00", stock=7))
        await stack.settle()
        article = stack.sim.articles["TS-1"]
        assert (article.name, article.price_ex_vat, sum(article.in_stock.values())) == ("Produkt TS-1", Decimal("100.00"), 7)

        woo = shop_client(stack)
        await woo.request("PUT", f"products/{ts['id']}", body={"regular_price": "120.00"})
        await stack.settle()
        assert article.price_ex_vat == Decimal("120.00")

        # A stock change in the shop (as its own order or the gateway's stock write echoes back)
        # is never exported: Specter is master of stock.
        calls = dict(stack.specter.state.request_counts)
        await woo.request("PUT", f"products/{ts['id']}", body={"stock_quantity": 3})
        events = await stack.settle()
        assert sum(article.in_stock.values()) == 7
        assert dict(stack.specter.state.request_counts) == calls
        assert events[0].status == "skipped" and "nothing Specter keeps has changed" in events[0].result["reason"]

        await stack.set_settings(export_product_on_change=False)
        await woo.request("PUT", f"products/{ts['id']}", body={"regular_price": "150.00"})
        await stack.settle()
        assert article.price_ex_vat == Decimal("120.00")


async def test_deleting_a_product_deletes_it_in_specter_only_when_set(tmp_path):
    async with running_stack(tmp_path) as stack:
        one = await stack.shop_control("POST", "products", product("ONE-1"))
        two = await stack.shop_control("POST", "products", product("TWO-2"))
        shirt = await stack.shop_control("POST", "products", {
            "name": "Tröja", "sku": "TROJA", "variations": [product("TROJA-S"), product("TROJA-M")]})
        await stack.settle()
        assert {"ONE-1", "TWO-2", "TROJA-S", "TROJA-M"} <= set(stack.sim.articles)

        woo = shop_client(stack)
        await woo.request("DELETE", f"products/{one['id']}")  # delete from Specter: on by default
        await woo.request("DELETE", f"products/{shirt['id']}")  # its variations go too
        await stack.settle()
        assert "ONE-1" not in stack.sim.articles
        assert "TROJA-S" not in stack.sim.articles and "TROJA-M" not in stack.sim.articles

        await stack.set_settings(delete_from_specter=False)
        await woo.request("DELETE", f"products/{two['id']}")
        await stack.settle()
        assert "TWO-2" in stack.sim.articles


async def test_an_order_exports_its_missing_articles_first(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        ts = await stack.shop_control("POST", "products", product("TS-9", price="80.00", stock=5))
        await stack.settle()
        assert "TS-9" not in stack.sim.articles  # not exported on change
        await stack.place_order(order=order_payload([(ts["id"], 1)]))
        events = await stack.settle()
        assert stack.sim.articles["TS-9"].price_ex_vat == Decimal("80.00")
        assert len(stack.sim.orders) == 1
        done = [e for e in events if e.kind == "shop.order" and e.status == "done"]
        assert done[0].result["articles_exported_first"] == ["TS-9"]


async def test_bulk_export_sends_the_valid_and_lists_the_refused(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        for fields in [product("OK-1", stock=4), product("OK-2"), product("HAS SPACE"), product("BLÅ-1"),
                       product("A,B"), product(""), product("", name="No number either")]:
            await stack.shop_control("POST", "products", fields)
        await stack.settle()
        env = os.environ | {
            "SPECTER_GATEWAY_DATA_DIR": str(stack.gw.config.data_dir),
            "SPECTER_GATEWAY_SECRET_KEY": stack.gw.config.secret_key,
            "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        # The CLI in its own process, as an operator runs it (the fake shop lives in this loop).
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway.cli", "export", "products", "woo1", "--mode", "new",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        stdout = out.decode()
        assert proc.returncode == 0, err.decode()
        assert "7 read, 2 sent to Specter, 5 refused" in stdout
        refused = [line.split("\t") for line in stdout.splitlines() if line.startswith("refused")]
        reasons = {r[2]: r[3] for r in refused}
        assert "characters Specter cannot take" in reasons["HAS SPACE"] and "space" in reasons["HAS SPACE"]
        assert "'Å'" in reasons["BLÅ-1"] and "','" in reasons["A,B"]
        assert reasons[""] == "has no article number"
        assert {"OK-1", "OK-2"} <= set(stack.sim.articles)
        assert sum(stack.sim.articles["OK-1"].in_stock.values()) == 4  # new to Specter: stock goes along


async def test_export_new_leaves_existing_articles_and_all_updates_them_but_not_stock(tmp_path):
    async with running_stack(tmp_path, export_product_on_change=False) as stack:
        ok = await stack.shop_control("POST", "products", product("OK-1", price="100.00", stock=4))
        await stack.settle()
        await stack.admin("POST", "/tenants/woo1/export", {"what": "products", "mode": "new"})
        await stack.settle()
        article = stack.sim.articles["OK-1"]
        woo = shop_client(stack)
        await woo.request("PUT", f"products/{ok['id']}", body={"regular_price": "130.00", "stock_quantity": 99})
        await stack.settle()

        await stack.admin("POST", "/tenants/woo1/export", {"what": "products", "mode": "new"})
        await stack.settle()
        assert article.price_ex_vat == Decimal("100.00")  # new: untouched

        status, body = await stack.admin("POST", "/tenants/woo1/export", {"what": "products", "mode": "all"})
        events = await stack.settle()
        assert article.price_ex_vat == Decimal("130.00")  # all: updated ...
        assert sum(article.in_stock.values()) == 4  # ... but never its stock
        report = next(e for e in events if e.id == body["event_id"]).result
        assert (report["mode"], report["sent"], report["refused"]) == ("all", 1, [])


async def test_customer_export(tmp_path):
    async with running_stack(tmp_path) as stack:
        await stack.shop_control("POST", "customers", CUSTOMER)
        await stack.shop_control("POST", "customers", CUSTOMER | {"email": "", "billing": CUSTOMER["billing"] | {"email": ""}})
        await stack.settle()
        status, body = await stack.admin("POST", "/tenants/woo1/export", {"what": "customers"})
        events = await stack.settle()
        report = next(e for e in events if e.id == body["event_id"]).result
        assert report["seen"] == 2 and len(report["refused"]) == 1
        assert "no e-mail address" in report["refused"][0]["reason"]
