"""The admin console over loopback without a browser: signing in, CSRF, sessions, roles, the
settings form and its validation, the OpenAPI document and the metrics."""

from __future__ import annotations

import asyncio
import html
import io
import re
import time

import aiohttp
import msgspec
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from gateway.cli import main as cli
from gateway.secrets import Cipher
from gateway.settings import GROUP_KEY, SETTING_GROUPS, TenantSettings
from gateway.store.base import NewEvent
from gateway.store.sqlite import SQLiteStore
from gateway.web import admin_api, alerts_api, rules_api
from gateway.web.console.forms import settings_groups
from gateway.web.console.passwords import hash_password, verify_password
from gateway.web.openapi import document
from tests.console_client import Console, add_user, console_session, csrf_of
from tests.gateway_process import start_gateway
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack, wait_for
from tests.test_admin_api import SECRETS, make_tenant

TENANT = "acme-woo"


@pytest.fixture
async def console(running_gateway, http):
    await make_tenant(http, running_gateway)
    await add_user(running_gateway.gateway, "vendor")
    async with console_session() as session:
        yield Console(running_gateway.url, session)


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("scrypt$") and first != second  # a fresh salt each time
    assert "correct horse" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterx", first)
    assert not verify_password("correct horse battery", "not-a-hash")


async def test_pages_send_a_stranger_to_the_sign_in_page(console):
    status, _ = await console.get("/admin/")
    assert status == 303
    async with console.http.get(console.url + f"/admin/tenants/{TENANT}", allow_redirects=False) as r:
        assert r.headers["Location"] == f"/admin/signin?next=/admin/tenants/{TENANT}"
    status, page = await console.get("/admin/signin")
    assert status == 200 and "Sign in" in page


async def test_wrong_password_is_refused_and_the_right_one_shows_the_tenants(console):
    assert await console.sign_in("vendor", "not the password") == 401
    assert await console.sign_in("nobody") == 401
    assert await console.sign_in("vendor") == 200
    status, page = await console.get("/admin/")
    assert status == 200 and f'data-tenant="{TENANT}"' in page


async def test_a_post_without_the_csrf_token_is_refused(console, running_gateway):
    await console.sign_in("vendor")
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/settings", {"order_export": "inactive"}, csrf=False)
    assert status == 403
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/settings",
                                      [("order_export", "inactive"), ("csrf_token", "forged")], csrf=False)
    assert status == 403
    tenant = await running_gateway.gateway.store.get_tenant(TENANT)
    assert tenant.settings.order_export == "manual"  # unchanged
    # The sign-in form too: a token that is not the one its cookie holds is refused.
    async with console_session() as other:
        status, _, _ = await Console(console.url, other).post(
            "/admin/signin", {"name": "vendor", "password": "correct horse battery", "csrf_token": "x"}, csrf=False)
        assert status == 403
        # A token sent as a file upload is refused like any wrong one, not a server error.
        await Console(console.url, other).get("/admin/signin")  # the sign-in cookie to compare with
        upload = aiohttp.FormData({"name": "vendor", "password": "correct horse battery"})
        upload.add_field("csrf_token", io.BytesIO(b"x"), filename="token.txt")
        async with other.post(console.url + "/admin/signin", data=upload, allow_redirects=False) as r:
            assert r.status == 403


async def test_signing_out_ends_the_session_for_good(console):
    await console.sign_in("vendor")
    cookie = {c.key: c.value for c in console.http.cookie_jar}["console_session"]
    status, _, location = await console.post("/admin/signout", {})
    assert status == 303 and location == "/admin/signin"
    async with console_session() as replay:  # the old cookie, kept by someone
        async with replay.get(console.url + "/admin/", cookies={"console_session": cookie}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/admin/signin")


async def test_an_expired_session_asks_to_sign_in_again(gateway_config, http):
    gateway_config.console_session_seconds = 0  # every session has expired by its next request
    running, task = await start_gateway(gateway_config)
    try:
        await make_tenant(http, running)
        await add_user(running.gateway, "vendor")
        async with console_session() as session:
            console = Console(running.url, session)
            status, page = await console.get("/admin/signin")
            status, _, location = await console.post(
                "/admin/signin", {"name": "vendor", "password": "correct horse battery", "csrf_token": csrf_of(page)},
                csrf=False)
            assert status == 303
            status, _ = await console.get(location)
            assert status == 303  # back to the sign-in page
    finally:
        running.server.should_exit = True
        await task


async def test_the_settings_form_has_every_setting_and_shows_errors_next_to_the_field(console, running_gateway):
    await console.sign_in("vendor")
    status, page = await console.get(f"/admin/tenants/{TENANT}")
    assert status == 200
    for field in msgspec.structs.fields(TenantSettings):
        assert f'name="{field.name}"' in page, field.name
    assert [g.title for g in settings_groups()] == list(SETTING_GROUPS)
    shown = html.unescape(page)
    for group in settings_groups():
        assert f"<legend>{group.title}</legend>" in shown
        for f in group.fields:  # each setting with its label and help text
            assert f.label in shown and f.hint in shown, f.name
    prefix = next(f for g in settings_groups() for f in g.fields if f.name == "external_order_prefix")
    assert prefix.label == "Order number prefix" and "shops sharing one account need different prefixes" in prefix.hint
    assert re.search(r'data-field="external_order_prefix">.*?<small class="hint">[^<]*different prefixes', page, re.S)
    for secret in SECRETS:
        assert secret not in page

    form = _settings_form(page) | {"payment_types": "klarna_payments=K\nswish=sw"}
    status, page, _ = await console.post(f"/admin/tenants/{TENANT}/settings", form)
    assert status == 422
    field = re.search(r'<div class="field invalid" data-field="(\w+)">.*?<small class="error"[^>]*>([^<]+)', page, re.S)
    assert field and field.group(1) == "payment_types" and "A-Z" in field.group(2)
    assert "swish=sw" in page  # what the user typed is kept

    form = _settings_form(page) | {"payment_types": "swish=SW", "order_export": "inactive", "stock_sites": "A, B"}
    form.pop("delete_from_specter")  # untick a checkbox
    status, _, location = await console.post(f"/admin/tenants/{TENANT}/settings", form)
    assert status == 303, _
    tenant = await running_gateway.gateway.store.get_tenant(TENANT)
    assert tenant.settings.order_export == "inactive"
    assert tenant.settings.payment_types == {"swish": "SW"}
    assert tenant.settings.stock_sites == ["A", "B"]
    assert tenant.settings.delete_from_specter is False
    assert tenant.settings.include_zero_shipping is True  # kept as the form showed it
    status, page = await console.get(location)
    assert "Settings saved." in page


async def test_shop_secrets_stay_masked_and_are_only_replaced_when_typed_anew(console, running_gateway):
    await console.sign_in("vendor")
    form = {"name": "Acme", "enabled": "on", "url": "https://shop.example.se/", "consumer_key": "ck_123",
            "consumer_secret": "********", "webhook_secret": "whsec-NEW"}
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/shop", form)
    assert status == 303
    tenant = await running_gateway.gateway.store.get_tenant(TENANT)
    assert tenant.shop["consumer_secret"] == "cs_SECRET-3"  # the mask kept it
    assert tenant.shop["webhook_secret"] == "whsec-NEW"
    status, page = await console.get(f"/admin/tenants/{TENANT}")
    assert "whsec-NEW" not in page and "cs_SECRET-3" not in page


async def test_a_wrong_shop_setting_is_shown_at_its_field_without_echoing_secrets(console, running_gateway, http):
    abicart = {"id": "abi", "platform": "abicart", "account_id": "acme-specter",
               "shop": {"webshop": 42, "auth_token": "tok-SECRET-5"}, "settings": {"external_order_prefix": "ABI-"}}
    assert (await _api(http, running_gateway, "POST", "/tenants", abicart))[0] == 201
    await console.sign_in("vendor")
    form = {"name": "Abi", "enabled": "on", "webshop": "forty-two", "auth_token": "typed-SECRET-6",
            "url": "https://admin.abicart.se/backend/jsonrpc/v1/"}
    status, page, _ = await console.post("/admin/tenants/abi/shop", form)
    assert status == 422
    field = re.search(r'<div class="field invalid" data-field="(\w+)">', page)
    assert field and field.group(1) == "webshop"
    assert "forty-two" in page  # kept for correcting
    assert "SECRET-5" not in page and "SECRET-6" not in page
    assert (await running_gateway.gateway.store.get_tenant("abi")).shop["webshop"] == 42


async def test_a_tenant_user_sees_only_its_own_tenant(console, running_gateway, http):
    other = {"id": "other-shop", "platform": "woocommerce", "account_id": "acme-specter",
             "shop": {"url": "https://other.example.se/", "consumer_key": "ck", "consumer_secret": "cs"},
             "settings": {"external_order_prefix": "OTHER-"}}
    status, _ = await _api(http, running_gateway, "POST", "/tenants", other)
    assert status == 201
    await add_user(running_gateway.gateway, "owner", tenant_id="other-shop")
    assert await console.sign_in("owner") == 200
    async with console.http.get(console.url + "/admin/", allow_redirects=False) as r:
        assert r.headers["Location"] == "/admin/tenants/other-shop"
    for path in (f"/admin/tenants/{TENANT}", f"/admin/tenants/{TENANT}/events"):
        assert (await console.get(path))[0] == 404
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/settings", {"order_export": "inactive"})
    assert status == 404
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/events/retry", {})
    assert status == 404
    assert (await running_gateway.gateway.store.get_tenant(TENANT)).settings.order_export == "manual"
    assert (await console.get("/admin/tenants/other-shop"))[0] == 200


async def test_transfer_again_from_the_event_page_runs_that_event_again(console, running_gateway):
    gw = running_gateway.gateway
    [(event_id, _)] = await gw.submit([NewEvent(kind="test.unhandled", tenant_id=TENANT, account_id="acme-specter")])
    for _ in range(200):
        if (await gw.store.get_event(event_id)).status == "dead":
            break
        await asyncio.sleep(0.05)
    await console.sign_in("vendor")
    status, page = await console.get(f"/admin/tenants/{TENANT}/events/{event_id}")
    assert status == 200 and "no handler for event kind" in page and "Transfer again" in page
    back = f"/admin/tenants/{TENANT}/events/{event_id}"
    status, _, location = await console.post(f"{back}/retry", {"back": back})
    assert status == 303 and location == f"{back}?notice=requeued"
    assert len(await gw.store.event_history(event_id)) == 1  # the first failure is kept
    # Another tenant's event id is not this tenant's to transfer again.
    status, _, location = await console.post(f"/admin/tenants/{TENANT}/events/999999/retry", {})
    assert status == 303 and location.endswith("notice=nothing")


async def test_the_operation_buttons_record_their_events_and_open_their_page(console, running_gateway):
    await console.sign_in("vendor")
    status, text, _ = await console.post(f"/admin/tenants/{TENANT}/run/import", {})
    assert status == 409 and "turn on import_products first" in text
    store = running_gateway.gateway.store
    tenant = await store.get_tenant(TENANT)
    await store.put_tenant(msgspec.structs.replace(
        tenant, settings=msgspec.structs.replace(tenant.settings, import_products=True)))
    seen = {}
    for operation, form, kind in (("export", {"what": "customers", "mode": "all"}, "export.customers"),
                                  ("import", {}, "import.products"), ("stock", {}, "stock.resync")):
        status, _, location = await console.post(f"/admin/tenants/{TENANT}/run/{operation}", form)
        assert status == 303 and location.startswith(f"/admin/tenants/{TENANT}/events/")
        event = await running_gateway.gateway.store.get_event(int(location.rsplit("/", 1)[1]))
        assert event.kind == kind and event.tenant_id == TENANT
        status, page = await console.get(location)
        assert status == 200 and kind in page and 'id="event-state"' in page
        seen[kind] = event.id
    status, page = await console.get(f"/admin/tenants/{TENANT}")
    for event_id in seen.values():  # listed under the tenant's operations
        assert f'/events/{event_id}">{event_id}</a>' in page
    status, _, _ = await console.post(f"/admin/tenants/{TENANT}/run/export", {"what": "orders"})
    assert status == 422


def test_the_openapi_document_has_every_admin_api_route():
    paths = document()["paths"]
    api_routes = [*admin_api.routes, *alerts_api.routes, *rules_api.routes]
    for route in api_routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        assert path in paths, path
        for method in route.methods - {"HEAD"}:
            assert method.lower() in paths[path], f"{method} {path}"
    documented = {(p, m) for p, ops in paths.items() for m in ops if m != "parameters"}
    routed = {(re.sub(r"\{(\w+):\w+\}", r"{\1}", r.path), m.lower())
              for r in api_routes for m in r.methods - {"HEAD"}}
    assert documented == routed  # nothing documented that does not exist


async def test_the_openapi_document_is_served(running_gateway, http):
    async with http.get(running_gateway.url + "/admin/api/openapi.json") as r:
        body = await r.json()
    assert r.status == 200 and body["openapi"].startswith("3.")
    order_export = body["components"]["schemas"]["TenantSettings"]["properties"]["order_export"]
    assert order_export["title"] == "Order export" and order_export[GROUP_KEY] == "Orders are exported"
    assert order_export["description"].startswith("on_placement:")


def _metrics_auth(gw) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.config.resolved_metrics_token()}"}


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_events_calls_and_the_queue(tmp_path):
    async with running_stack(tmp_path) as stack:
        async with stack.http.get(stack.gateway.url + "/metrics", headers=_metrics_auth(stack.gw)) as r:
            before = _samples(await r.text())
        ts = await woocommerce(stack.driver).control("POST", "products", product_fields("TS-1"))
        await woocommerce(stack.driver).checkout(order_payload([(ts["id"], 1)]))
        await stack.settle()
        async with stack.http.get(stack.gateway.url + "/metrics", headers=_metrics_auth(stack.gw)) as r:
            assert r.status == 200
            after = _samples(await r.text())

    def grew(name: str, **labels: str) -> bool:
        return _value(after, name, **labels) > _value(before, name, **labels)

    assert grew("specter_gateway_events_received_total", tenant="woo1", kind="shop.order")
    assert grew("specter_gateway_events_processed_total", tenant="woo1", kind="shop.order", outcome="done")
    assert grew("specter_gateway_specter_call_seconds_count", action="newOrderSubmit", outcome="ok")
    assert grew("specter_gateway_shop_call_seconds_count", platform="woocommerce", hook="fetch_order", outcome="ok")
    assert ("specter_gateway_queue_depth", frozenset({("status", "pending")})) in after


async def test_a_failed_event_is_counted_dead_and_the_queue_depth_is_read_at_scrape(running_gateway, http):
    gw = running_gateway.gateway
    await make_tenant(http, running_gateway)
    dead = {"tenant": TENANT, "kind": "test.metrics-unhandled", "outcome": "dead"}
    async with http.get(running_gateway.url + "/metrics", headers=_metrics_auth(gw)) as r:
        before = _value(_samples(await r.text()), "specter_gateway_events_processed_total", **dead)
    # A kind nothing handles fails for good at once; one due in an hour waits in the queue.
    await gw.submit([NewEvent(kind="test.metrics-unhandled", tenant_id=TENANT, account_id="acme-specter")])
    await gw.submit([NewEvent(kind="test.later", tenant_id=TENANT, not_before=time.time() + 3600)])
    await wait_for(lambda: _dead_counted(running_gateway, http, dead, before), 10, "the dead event to be counted")
    async with http.get(running_gateway.url + "/metrics", headers=_metrics_auth(gw)) as r:
        after = _samples(await r.text())
    assert _value(after, "specter_gateway_events_processed_total", **dead) == before + 1
    assert _value(after, "specter_gateway_queue_depth", status="pending") == 1


async def _dead_counted(running, http, labels, before: float) -> bool:
    async with http.get(running.url + "/metrics", headers=_metrics_auth(running.gateway)) as r:
        return _value(_samples(await r.text()), "specter_gateway_events_processed_total", **labels) > before


async def test_progress_is_written_into_a_running_event_only(tmp_path):
    store = SQLiteStore(tmp_path / "gateway.db", Cipher(Fernet.generate_key().decode()))
    await store.open()
    try:
        [(event_id, _)] = await store.record_events([NewEvent(kind="export.products")])
        await store.update_event_progress(event_id, {"seen": 5})
        assert (await store.get_event(event_id)).result is None  # not running yet
        claimed = await store.claim_event(event_id, 60)
        await store.update_event_progress(event_id, {"seen": 100})
        await store.update_event_progress(event_id, {"seen": 200})
        event = await store.get_event(event_id)
        assert event.result == {"progress": {"seen": 200}}
        assert event.revision == claimed.revision  # not a status change: queued jobs stay valid
        await store.finish_event(event_id, "done", result={"seen": 300})
        await store.update_event_progress(event_id, {"seen": 1})
        assert (await store.get_event(event_id)).result == {"seen": 300}
    finally:
        await store.close()


def test_cli_adds_lists_and_removes_console_users(tmp_path, monkeypatch, capsys):
    data = ["--data-dir", str(tmp_path / "data")]
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    assert cli([*data, "user", "add", "anna", "--admin"]) == 2
    assert "at least" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert cli([*data, "user", "add", "anna", "--admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert cli([*data, "user", "add", "bo", "--tenant", "no-such-shop"]) == 2
    assert "unknown tenant" in capsys.readouterr().err
    assert cli([*data, "user", "list"]) == 0
    out = capsys.readouterr().out
    assert "anna\tadmin" in out and "a long enough secret" not in out
    assert cli([*data, "user", "remove", "anna"]) == 0
    capsys.readouterr()
    assert cli([*data, "user", "list"]) == 0
    assert "anna" not in capsys.readouterr().out


def _settings_form(page: str) -> dict[str, str]:
    """The settings form's current values, as a browser would send them."""
    form = page[page.index('id="settings-form"'):]
    form = form[:form.index("</form>")]
    values: dict[str, str] = {}
    for tag in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag.group(1)))
        if "name" not in attrs or attrs["name"] == "csrf_token":
            continue
        if 'type="checkbox"' in tag.group(0):
            if " checked" in tag.group(0):
                values[attrs["name"]] = "on"
        else:
            values[attrs["name"]] = html.unescape(attrs.get("value", ""))
    for sel in re.finditer(r'<select [^>]*name="(\w+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', sel.group(2))
        values[sel.group(1)] = chosen.group(1) if chosen else ""
    for area in re.finditer(r'<textarea [^>]*name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[area.group(1)] = html.unescape(area.group(2))
    return values





async def _api(http, running, method, path, json=None):
    async with http.request(method, running.url + "/admin/api" + path, json=json, headers=running.admin_headers()) as r:
        return r.status, await r.json(content_type=None)
