"""Continuous reconciliation, end to end: a stock level and a price changed in the shop behind the
gateway's back are healed, an order Specter lacks is listed with why (and sent once a person
asks), a second reconciliation right after writes nothing; from the admin API, the CLI, the
console, and on a schedule."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from tests.console_client import Console, add_user, console_session
from tests.databases import both_databases
from tests.shops import platforms
from tests.shops.woocommerce import woocommerce
from tests.stack import SBM_ID, Stack, running_stack, wait_for

SPECTER_WRITES = ("newarticlesubmit", "newcustomersubmit", "newordersubmit", "deletearticle", "deleteorder")


async def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """``specter-gateway ARGS`` run by the operator on the running gateway's data."""
    env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(stack.config.data_dir),
                        "SPECTER_GATEWAY_SECRET_KEY": stack.config.secret_key}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "gateway.cli", *args], env=env,
                                   capture_output=True, text=True, timeout=90)


async def specter_writes(stack: Stack) -> Counter[str]:
    async with stack.http.get(f"{stack.specter.url}_control/requests") as resp:
        calls: dict[str, int] = await resp.json()
    return Counter({action: n for key, n in calls.items()
                    if key.startswith(f"{SBM_ID}:") and (action := key.split(":", 1)[1]) in SPECTER_WRITES})


async def reconcile(stack: Stack, tenant_id: str | None = None) -> dict:
    """Reconcile now over the admin API; answer the report once it and its healing have run."""
    tenant_id = tenant_id or stack.tenant_id
    status, body = await stack.admin("POST", f"/tenants/{tenant_id}/reconcile")
    assert status == 202, body
    await stack.settle_all()
    status, report = await stack.admin("GET", f"/tenants/{tenant_id}/reconciliation")
    assert status == 200, report
    assert report["event_id"] == body["event_id"]
    return report


async def drifted_shop(stack: Stack) -> None:
    """REC-1 and REC-2 in the shop and in Specter, where Specter then sets REC-1's price and both
    levels; then the shop's admin edits REC-1's price and stock by hand."""
    driver = stack.driver
    await driver.create_product("REC-1", price="100.00", stock=10)
    await driver.create_product("REC-2", price="50.00", stock=10)
    await stack.settle_all()
    await stack.specter_control("PATCH", "articles/REC-1", {"priceExclVat": "120.00"})
    await stack.specter_control("POST", "stock", [{"articleNo": "REC-1", "site": "1", "inStock": 7},
                                                  {"articleNo": "REC-2", "site": "1", "inStock": 8}])
    await stack.settle_all()
    await wait_for(lambda: _shows(stack, "REC-2", stock=8), 20, "Specter's level of REC-2 in the shop")
    rec1 = await driver.product("REC-1")
    assert rec1 is not None and rec1.stock == 7
    await driver.update_product(rec1.id, price="90.00", stock=3)
    await stack.settle_all()


async def _shows(stack: Stack, sku: str, *, stock: int | None = None, price: str | None = None) -> bool:
    product = await stack.driver.product(sku)
    return product is not None and (stock is None or product.stock == stock) and (
        price is None or product.price == Decimal(price))


@both_databases
async def test_reconciliation_heals_drift_lists_orders_specter_lacks_and_then_writes_nothing(tmp_path, database):
    # Specter owns the article data (article_sync)
    async with running_stack(tmp_path, database_url=database.url) as stack:
        shop, tenant_id = woocommerce(stack.driver), stack.tenant_id
        await drifted_shop(stack)
        edited = await stack.driver.product("REC-1")
        assert edited.price == Decimal("90.00") and edited.stock == 3  # nothing else heals it

        # One order whose webhook is lost, one Specter refuses (its article cannot go to Specter).
        hooks = (await shop.rest.request("GET", "webhooks")).data
        for hook in hooks:
            await shop.rest.request("PUT", f"webhooks/{hook['id']}", body={"status": "paused"})
        lost = await stack.driver.place_order([("REC-2", 1)])
        for hook in hooks:
            await shop.rest.request("PUT", f"webhooks/{hook['id']}", body={"status": "active"})
        await stack.driver.create_product("BAD 1", stock=10)
        refused = await stack.driver.place_order([("BAD 1", 1)])
        await stack.settle_all()

        report = await reconcile(stack)
        assert await _shows(stack, "REC-1", stock=7, price="120.00")
        assert await _shows(stack, "REC-2", stock=8)  # the lost order took one in the shop only
        assert {(d["article_no"], d["shop"], d["specter"]) for d in report["stock_healed"]} == {
            ("REC-1", "3", "7"), ("REC-2", "7", "8")}
        assert [(d["article_no"], d["shop"], d["specter"]) for d in report["prices_healed"]] == [
            ("REC-1", "90.00", "120.00")]
        found = {(f["what"], f["key"]): f for f in report["needs_person"]}
        assert found[("order", lost.id)]["problem"] == "never_seen"
        assert found[("order", refused.id)]["problem"] == "refused"
        assert "'BAD 1' has characters Specter cannot take" in found[("order", refused.id)]["reason"]
        assert found[("article", "BAD 1")]["problem"] == "missing_in_specter"
        assert report["counts"]["needs_person"] == 3 and report["orders"] == 2
        assert [f["what"] for f in report["needs_person"]] == ["order", "order", "article"]  # orders first
        assert not any(o.external_order_no == lost.number for o in stack.sim.orders.values())  # listed, not sent
        # The tenant's people are told what needs them; the article's page shows its drift.
        [told] = [a for a in await stack.gw.store.list_alerts(tenant_id, 100) if a.cause == "reconciliation"]
        assert "3 new thing(s)" in told.detail and "BAD 1" in told.detail, told.detail
        status, page = await stack.admin("GET", f"/tenants/{tenant_id}/articles/REC-1")
        assert status == 200 and {"healed": "price", "shop showed": "90.00", "Specter": "120.00"} in page["drift"]

        # A person sends the lost order (as the report offers); Specter has it once.
        status, body = await stack.admin("POST", f"/tenants/{tenant_id}/orders/{lost.id}/export")
        assert status == 202, body
        await stack.settle_all()
        assert [o.external_order_no for o in stack.sim.orders.values()].count(lost.number) == 1

        # Right after: nothing heals, nothing is written on either side; the refused order stays listed.
        shop_writes, specter_before = len(await stack.driver.writes()), await specter_writes(stack)
        again = await reconcile(stack)
        assert again["counts"]["stock_healed"] == 0 and again["counts"]["prices_healed"] == 0
        assert (await stack.driver.writes())[shop_writes:] == []
        assert await specter_writes(stack) == specter_before
        assert {(f["what"], f["key"]) for f in again["needs_person"]} == {("order", refused.id), ("article", "BAD 1")}
        assert again["orders_in_specter"] == 1
        told = [a for a in await stack.gw.store.list_alerts(tenant_id, 100) if a.cause == "reconciliation"]
        assert len(told) == 1  # the same findings again are nothing new to tell

        # The CSV report names the same.
        async with stack.http.get(stack.gateway.url + f"/admin/api/tenants/{tenant_id}/reconciliation?format=csv",
                                  headers={"Authorization": f"Bearer {stack.config.admin_token}"}) as r:
            assert r.status == 200 and r.content_type == "text/csv"
            rows = (await r.text()).splitlines()
        assert rows[0] == "section,key,label,problem,shop,specter,reason,event_id"
        assert any(row.startswith(f"order,{refused.id},{refused.number},refused,") for row in rows)


@pytest.mark.parametrize("platform", platforms())
async def test_every_platform_has_stock_and_price_healed_once(tmp_path, platform):
    async with running_stack(tmp_path, platform=platform) as stack:
        await drifted_shop(stack)
        report = await reconcile(stack)
        assert await _shows(stack, "REC-1", stock=7, price="120.00")
        assert [d["article_no"] for d in report["stock_healed"]] == ["REC-1"]
        assert [d["article_no"] for d in report["prices_healed"]] == ["REC-1"]
        again = await reconcile(stack)
        assert again["counts"]["stock_healed"] == 0 and again["counts"]["prices_healed"] == 0, again


async def test_a_price_the_shop_owns_is_not_drift_but_its_stock_is(tmp_path):
    async with running_stack(tmp_path, article_sync=False) as stack:  # the shop owns its article data
        driver = stack.driver
        await driver.create_product("OWN-1", price="100.00", stock=10)
        await stack.settle_all()
        await stack.specter_control("POST", "stock", [{"articleNo": "OWN-1", "site": "1", "inStock": 6}])
        await wait_for(lambda: _shows(stack, "OWN-1", stock=6), 20, "Specter's level in the shop")
        await stack.settle_all()
        await driver.update_product((await driver.product("OWN-1")).id, price="80.00", stock=2)
        await stack.settle_all()  # the new price goes to Specter, as the shop owns it

        report = await reconcile(stack)
        assert await _shows(stack, "OWN-1", stock=6, price="80.00")
        assert report["counts"]["stock_healed"] == 1 and report["counts"]["prices_healed"] == 0
        assert any(note.startswith("prices not compared: the shop owns its products'") for note in report["notes"])


@pytest.mark.parametrize("runner", ["inprocess", "arq"])
async def test_a_change_whose_callback_was_lost_is_read_from_specter_first(tmp_path, runner):
    async with running_stack(tmp_path, runner=runner, export_product_on_change=False) as stack:
        await stack.driver.create_product("LOST-1", stock=0)
        await stack.specter_control("POST", "articles", {"articleNo": "LOST-1", "name": "Vara",
                                                         "priceExclVat": "100.00", "stock": {"1": 4}})
        await wait_for(lambda: _shows(stack, "LOST-1", stock=4), 20, "Specter's level in the shop")
        await stack.settle_all()
        callbacks = dict(stack.sim.callback_urls)
        stack.sim.callback_urls.clear()  # Specter's calls to the gateway are lost from now on
        await stack.specter_control("POST", "stock", [{"articleNo": "LOST-1", "site": "1", "inStock": 9}])
        await stack.settle_all()
        assert await _shows(stack, "LOST-1", stock=4)
        stack.sim.callback_urls.update(callbacks)

        await reconcile(stack)
        assert await _shows(stack, "LOST-1", stock=9)


async def test_the_cli_reconciles_and_prints_the_report(tmp_path):
    async with running_stack(tmp_path) as stack:
        done = await cli(stack, "reconcile", stack.tenant_id, "--last")
        assert done.returncode == 2 and f"shop '{stack.tenant_id}' has not been reconciled yet" in done.stderr
        await drifted_shop(stack)
        done = await cli(stack, "reconcile", stack.tenant_id)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert "1 stock levels and 1 prices healed" in lines[0], lines
        assert "stock healed\tREC-1\tshop 3\tSpecter 7" in lines
        assert "price healed\tREC-1\tshop 90.00\tSpecter 120.00" in lines
        await stack.settle_all()
        assert await _shows(stack, "REC-1", stock=7, price="120.00")
        last = await cli(stack, "reconcile", stack.tenant_id, "--last")
        assert last.returncode == 0 and last.stdout == done.stdout


async def test_the_console_shows_the_last_reconciliation_and_sends_a_listed_order(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        await stack.driver.create_product("CON-1", stock=10)
        await stack.settle_all()
        hooks = (await shop.rest.request("GET", "webhooks")).data
        for hook in hooks:
            await shop.rest.request("PUT", f"webhooks/{hook['id']}", body={"status": "paused"})
        lost = await stack.driver.place_order([("CON-1", 1)])
        await add_user(stack.gw, "vendor")
        async with console_session() as session:
            console = Console(stack.gateway.url, session)
            assert await console.sign_in("vendor") == 200
            base = f"/admin/tenants/{stack.tenant_id}"
            status, page = await console.get(base)
            assert "Not reconciled yet." in page

            status, _, location = await console.post(f"{base}/run/reconcile", {})
            assert status == 303 and location.startswith(f"{base}/events/")
            await stack.settle_all()
            status, page = await console.get(base)
            assert "<strong class=\"bad\">1 need a person</strong>" in page
            assert f'<tr data-key="{lost.id}"><td>order {lost.number}' in page
            assert "never reached the gateway" in page and "Send to Specter" in page

            status, _, location = await console.post(f"{base}/orders/{lost.id}/send", {})
            assert status == 303 and location.startswith(f"{base}/events/")
            await stack.settle_all()
            assert [o.external_order_no for o in stack.sim.orders.values()] == [lost.number]
            status, csv_text = await console.get(f"{base}/reconciliation.csv")
            assert status == 200 and f"order,{lost.id},{lost.number},never_seen," in csv_text


async def test_a_scheduled_reconciliation_runs_once_a_period(tmp_path):
    async with running_stack(tmp_path, poll_seconds=0.3, reconcile_minutes=60) as stack:
        async def polled_a_few_times() -> bool:
            pulls = [e for e in await stack.gw.store.list_events(_account_pulls()) if e.kind == "specter.stock"]
            return len(pulls) >= 6

        await wait_for(polled_a_few_times, 30, "the gateway to poll a few times")
        await stack.settle_all()
        runs = await stack.events(kind="reconcile")
        assert len(runs) in (1, 2), runs  # one per hour, whichever hour the polls fell in
        status, report = await stack.admin("GET", f"/tenants/{stack.tenant_id}/reconciliation")
        assert status == 200 and report["trigger"] == "schedule"


def _account_pulls():
    from gateway.store.base import EventFilter

    return EventFilter(account_id="acct", limit=1000)


async def test_asking_for_a_report_that_does_not_exist_is_answered_clearly(tmp_path):
    async with running_stack(tmp_path) as stack:
        status, body = await stack.admin("GET", f"/tenants/{stack.tenant_id}/reconciliation")
        assert status == 404
        assert body == {"error": f"shop '{stack.tenant_id}' has not been reconciled yet: "
                                 f"POST /admin/api/tenants/{stack.tenant_id}/reconcile"}
        status, body = await stack.admin("GET", f"/tenants/{stack.tenant_id}/reconciliation?format=xml")
        assert status == 400 and body["field"] == "format"
        status, body = await stack.admin("POST", "/tenants/nobody/reconcile")
        assert status == 404 and "nobody" in body["error"]
        assert await stack.events(kind="reconcile") == []
