"""The console's rule editor, over loopback as a browser posts it: a rule added from the
catalogue and edited in its form, a mistake shown with the rule named and nothing saved, an
edit made on a page someone else saved since refused, and the saved versions with who saved."""

from __future__ import annotations

import html
import json

import pytest

from tests.console_client import Console, add_user, console_session
from tests.test_admin_api import make_tenant

TENANT = "acme-woo"


@pytest.fixture
async def console(running_gateway, http):
    await make_tenant(http, running_gateway)
    await add_user(running_gateway.gateway, "vendor")
    async with console_session() as session:
        yield Console(running_gateway.url, session)


async def test_a_rule_added_from_the_catalogue_edited_and_a_mistake_refused(console, running_gateway):
    store = running_gateway.gateway.store
    assert await console.sign_in("vendor") == 200
    status, page = await console.get(f"/admin/tenants/{TENANT}")
    assert f'href="/admin/tenants/{TENANT}/rules"' in page
    status, page = await console.get(f"/admin/tenants/{TENANT}/rules")
    assert status == 200 and "No rules yet" in page and "B2B orders to another stock site" in page

    status, _, location = await console.post(f"/admin/tenants/{TENANT}/rules",
                                             {"do": "add", "catalogue": "0", "version": "0"})
    assert status == 303 and location.endswith("notice=rules")
    saved = await store.get_rules(TENANT)
    assert saved is not None and [r.name for r in saved.rules.rules] == ["b2b-stock-site"]
    assert saved.saved_by == "console (vendor)"

    form = {"index": "0", "version": "1", "do": "save", "name": "b2b-stock-site", "flow": "order_to_specter",
            "enabled": "on", "when": json.dumps({"field": "customer.is_company", "op": "equals", "value": True}),
            "actions": json.dumps([{"do": "set", "field": "stock_site_id", "value": "3"}])}
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/rules", form)
    assert status == 303
    saved = await store.get_rules(TENANT)
    assert saved is not None and saved.version == 2 and saved.changes == ["changed b2b-stock-site"]

    wrong = form | {"version": "2", "when": json.dumps({"field": "customer.group", "op": "equals", "value": "b2b"})}
    status, page, _ = await console.post(f"/admin/tenants/{TENANT}/rules", wrong)
    assert status == 422
    assert "rule 'b2b-stock-site'" in html.unescape(page) and "no field 'customer.group'" in html.unescape(page)
    assert (await store.get_rules(TENANT)).version == 2  # nothing saved

    status, page, _ = await console.post(f"/admin/tenants/{TENANT}/rules", form | {"version": "2", "when": "{not json"})
    assert status == 422 and "when is not valid JSON" in page

    # A page showing version 1 (someone saved version 2 since) cannot overwrite it.
    status, page, _ = await console.post(f"/admin/tenants/{TENANT}/rules", form | {"version": "1", "do": "remove"})
    assert status == 409 and "Someone saved these rules meanwhile" in page
    assert (await store.get_rules(TENANT)).version == 2

    status, page = await console.get(f"/admin/tenants/{TENANT}/rules")
    assert "console (vendor)" in page and "changed b2b-stock-site" in page
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/rules", {"index": "0", "version": "2", "do": "remove"})
    assert status == 303 and (await store.get_rules(TENANT)).rules.rules == []
