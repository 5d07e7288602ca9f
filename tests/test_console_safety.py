"""A safer console and API: failed sign-ins limited per user name and per address, /metrics
behind a token or on its own address, list limits bounded, ids checked where they enter."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from adapters.woocommerce.webhooks import sign
from gateway.cli import main as cli
from gateway.store.base import EventFilter
from tests.console_client import PASSWORD, Console, add_user, console_session, csrf_of
from tests.gateway_process import free_port, start_gateway
from tests.test_admin_api import api, make_tenant
from tests.test_inbound_routes import SECRET, add_tenant

TENANT = "acme-woo"


@pytest.fixture
def gateway_config(gateway_config):
    gateway_config.signin_max_failures_user = 3
    gateway_config.signin_max_failures_address = 5
    return gateway_config


async def _sign_in(console: Console, name: str, password: str) -> tuple[int, str]:
    """Post the sign-in form as a browser does; answer the status and the page."""
    _, page = await console.get("/admin/signin")
    async with console.http.post(console.url + "/admin/signin", allow_redirects=False, data={
            "name": name, "password": password, "csrf_token": csrf_of(page)}) as r:
        return r.status, await r.text()


async def test_repeated_failures_lock_the_user_out_even_with_the_right_password(running_gateway):
    await add_user(running_gateway.gateway, "anna")
    await add_user(running_gateway.gateway, "bo")
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        for _ in range(2):
            status, page = await _sign_in(console, "anna", "wrong password")
            assert status == 401 and "Wrong name or password." in page
        status, page = await _sign_in(console, "anna", "wrong password")  # the third: locked now
        assert status == 429
        assert "Too many failed sign-ins for this user name" in page and "locked until" in page
        status, page = await _sign_in(console, "anna", PASSWORD)
        assert status == 429 and "locked until" in page  # the right password does not open it
        assert await console.sign_in("bo") == 200  # another user from the same address signs in


async def test_an_unknown_name_locks_out_like_a_known_one(running_gateway):
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        statuses = [(await _sign_in(console, "nobody", "guess"))[0] for _ in range(4)]
        assert statuses == [401, 401, 429, 429]


async def test_failures_from_one_address_lock_that_address_out_for_every_name(running_gateway):
    await add_user(running_gateway.gateway, "anna")
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        for n in range(5):
            await _sign_in(console, f"guess-{n}", "guess")
        status, page = await _sign_in(console, "anna", PASSWORD)
        assert status == 429 and "from this address" in page


async def test_a_successful_sign_in_clears_the_users_failures(running_gateway):
    await add_user(running_gateway.gateway, "anna")
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        for _ in range(2):
            await _sign_in(console, "anna", "wrong password")
        assert (await _sign_in(console, "anna", PASSWORD))[0] == 303
    async with console_session() as session:  # signed out: another browser
        console = Console(running_gateway.url, session)
        for _ in range(2):  # counted from zero again
            assert (await _sign_in(console, "anna", "wrong password"))[0] == 401


async def test_metrics_need_the_metrics_token(running_gateway, http):
    await make_tenant(http, running_gateway)
    url = running_gateway.url + "/metrics"
    async with http.get(url) as r:
        assert r.status == 401 and "metrics token" in (await r.json())["error"]
        assert "acme-woo" not in await r.text()
    async with http.get(url, headers={"Authorization": "Bearer wrong"}) as r:
        assert r.status == 401
    token = running_gateway.gateway.config.resolved_metrics_token()
    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 200 and "specter_gateway_queue_depth" in await r.text()


async def test_metrics_on_their_own_address_are_not_on_the_main_one(gateway_config, http):
    port = free_port()
    gateway_config.metrics_address = f"127.0.0.1:{port}"
    running, task = await start_gateway(gateway_config)
    try:
        async with http.get(running.url + "/metrics") as r:
            assert r.status == 404 and f"127.0.0.1:{port}" in (await r.json())["error"]
        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
            assert r.status == 200 and "specter_gateway_queue_depth" in await r.text()
    finally:
        running.server.should_exit = True
        await task


async def test_list_limits_and_paging_are_bounded(running_gateway, http):
    await make_tenant(http, running_gateway)
    for query in ("limit=0", "limit=1001", "limit=ten", "before=99999999999999999999", "before=0"):
        status, body = await api(http, running_gateway, "GET", f"/tenants/{TENANT}/events?{query}")
        assert status == 422, (query, body)
        assert "bad event query" in body["error"]
    status, body = await api(http, running_gateway, "GET", f"/tenants/{TENANT}/events?limit=1000")
    assert status == 200 and body == []


async def test_a_huge_or_unknown_event_id_is_not_found(running_gateway, http):
    await make_tenant(http, running_gateway)
    huge = "9" * 30
    for method, path in (("GET", f"/tenants/{TENANT}/events/{huge}"),
                         ("POST", f"/tenants/{TENANT}/events/{huge}/retry"),
                         ("GET", f"/tenants/{TENANT}/events/abc"), ("GET", f"/tenants/{TENANT}/events/12")):
        status, _ = await api(http, running_gateway, method, path)
        assert status == 404, path
    await add_user(running_gateway.gateway, "vendor")
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        assert await console.sign_in("vendor") == 200
        assert (await console.get(f"/admin/tenants/{TENANT}/events/{huge}"))[0] == 404
        assert (await console.get(f"/admin/tenants/{TENANT}/events?before={huge}"))[0] == 200
        assert (await console.post(f"/admin/tenants/{TENANT}/events/{huge}/retry", {}))[0] == 404


async def test_an_order_id_that_is_no_shop_id_is_refused_at_the_api(running_gateway, http):
    await make_tenant(http, running_gateway)
    for order_id in ("12%07", "1%202", "x" * 65):
        status, body = await api(http, running_gateway, "POST", f"/tenants/{TENANT}/orders/{order_id}/export")
        assert status == 422 and body["field"] == "order_id", body
    assert await running_gateway.gateway.store.list_events(EventFilter(tenant_id=TENANT)) == []
    status, _ = await api(http, running_gateway, "POST", f"/tenants/{TENANT}/orders/1234/export")
    assert status == 202


async def test_an_order_id_that_is_no_shop_id_is_refused_at_the_webhook(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http)
    for order_id in ("12\u0007", "12\n", "a/b", "1" * 65):
        body = json.dumps({"id": order_id, "status": "processing"}).encode()
        headers = {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Signature": sign(body, SECRET),
                   "Content-Type": "application/json"}
        async with http.post(gw.url + "/shops/shop1/events", data=body, headers=headers) as resp:
            assert resp.status == 422, order_id
            assert "refused: the order id" in (await resp.json())["error"]
    assert await gw.gateway.store.list_events(EventFilter(tenant_id="shop1")) == []


async def test_a_new_password_from_the_command_line_lifts_the_lock_out(running_gateway, gateway_config, monkeypatch):
    await add_user(running_gateway.gateway, "anna")
    async with console_session() as session:
        console = Console(running_gateway.url, session)
        for _ in range(3):
            await _sign_in(console, "anna", "wrong password")
        assert (await _sign_in(console, "anna", PASSWORD))[0] == 429
        monkeypatch.setenv("SPECTER_GATEWAY_SECRET_KEY", gateway_config.secret_key)
        monkeypatch.setenv("SPECTER_GATEWAY_DATABASE_URL", gateway_config.database_url)
        monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
        data = ["--data-dir", str(gateway_config.data_dir)]
        assert await asyncio.to_thread(cli, [*data, "user", "add", "anna", "--admin"]) == 0
        assert (await _sign_in(console, "anna", "a brand new password"))[0] == 303
