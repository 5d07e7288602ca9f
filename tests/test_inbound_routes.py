"""The inbound routes over real HTTP: shop events, Specter's callbacks, health and readiness.
A refused request stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.woocommerce.webhooks import sign
from gateway.store.base import EventFilter
from tests.databases import both_databases

CAPTURES = Path(__file__).resolve().parent / "fixtures" / "woocommerce"
SECRET = "wooreal-webhook-secret-123"  # the captured shop's, so its real deliveries verify


def captured(number: str) -> tuple[bytes, dict[str, str]]:
    delivery = json.loads((CAPTURES / "deliveries" / f"{number}.json").read_text())
    headers = {k: v for k, v in delivery["headers"] if k.lower() not in ("host", "content-length", "connection")}
    return delivery["body_raw"].encode(), headers


async def add_tenant(gw, http, **changes):
    headers = gw.admin_headers()
    account = {"id": "acct", "sbm_id": 1, "api_user_id": "u", "user_key": "k", "integration_key": "i"}
    async with http.post(gw.url + "/admin/api/accounts", json=account, headers=headers) as resp:
        assert resp.status == 201
    tenant = {"id": "shop1", "platform": "woocommerce", "account_id": "acct",
              "shop": {"url": "http://127.0.0.1:9/", "consumer_key": "ck", "consumer_secret": "cs",
                       "webhook_secret": SECRET}} | changes
    async with http.post(gw.url + "/admin/api/tenants", json=tenant, headers=headers) as resp:
        assert resp.status == 201, await resp.text()


async def stored(gw) -> list:
    return await gw.gateway.store.list_events(EventFilter(tenant_id="shop1", limit=100))


async def test_a_real_delivery_is_stored_once_and_answered_at_once(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http)
    body, headers = captured("017")  # order.created
    for expected in ({"stored": 1, "duplicates": 0}, {"stored": 0, "duplicates": 1}):
        async with http.post(gw.url + "/shops/shop1/events", data=body, headers=headers) as resp:
            assert resp.status == 200 and await resp.json() == expected
    [event] = await stored(gw)
    assert (event.kind, event.subject, event.payload["action"]) == ("shop.order", "order:17", "created")


async def test_the_unsigned_ping_is_answered_200_and_stores_nothing(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http)
    body, headers = captured("001")
    async with http.post(gw.url + "/shops/shop1/events", data=body, headers=headers) as resp:
        assert resp.status == 200 and await resp.json() == {"stored": 0, "duplicates": 0}
    assert await stored(gw) == []


async def test_refused_requests_say_why_and_store_nothing(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http)
    body, headers = captured("017")
    tampered = body.replace(b'"status":"processing"', b'"status":"completed"')
    cases = [
        ("/shops/shop1/events", tampered, headers, 401, "does not match"),
        ("/shops/shop1/events", body, {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}, 401,
         "missing X-WC-Webhook-Signature"),
        ("/shops/nobody/events", body, headers, 404, "unknown tenant 'nobody'"),
        ("/shops/shop1/events", b"not json", headers | {"X-WC-Webhook-Signature": sign(b"not json", SECRET)}, 400,
         "not JSON"),
        ("/shops/shop1/events", b"x" * (3 * 1024 * 1024), headers, 413, "larger than the limit"),
    ]
    for path, data, sent_headers, status, words in cases:
        async with http.post(gw.url + path, data=data, headers=sent_headers) as resp:
            assert resp.status == status, (path, status, await resp.text())
            assert words in (await resp.json())["error"]
    assert await stored(gw) == []


async def test_a_disabled_tenant_is_refused(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http, enabled=False)
    body, headers = captured("017")
    async with http.post(gw.url + "/shops/shop1/events", data=body, headers=headers) as resp:
        assert resp.status == 403
    assert await stored(gw) == []


async def test_specter_callbacks_are_recorded_coalesced_and_answered_done(running_gateway, http):
    gw = running_gateway
    await add_tenant(gw, http)
    store = gw.gateway.store
    await gw.gateway.runner.stop()  # keep the recorded work waiting, as when workers are busy
    token = (await store.get_account("acct")).callback_token
    for path in ("stock", "stock", "?calltype=1"):
        url = f"{gw.url}/specter/{token}/{path}" if not path.startswith("?") else f"{gw.url}/specter/{token}{path}"
        async with http.get(url) as resp:
            assert resp.status == 200 and await resp.text() == "1;Done"
    async with http.get(f"{gw.url}/specter/{token}/remove-order?orderNo=5001") as resp:
        assert await resp.text() == "1;Done"
    events = await store.list_events(EventFilter(account_id="acct", limit=10))
    assert sorted(e.kind for e in events) == ["specter.remove-order", "specter.stock"]  # three calls, one pull
    async with http.get(f"{gw.url}/specter/not-a-token/stock") as resp:
        assert resp.status == 404 and (await resp.text()).startswith("0;")
    async with http.get(f"{gw.url}/specter/{token}/weather") as resp:
        assert resp.status == 400


@both_databases
async def test_health_and_readiness(running_gateway, http, database):
    async with http.get(running_gateway.url + "/healthz") as resp:
        assert resp.status == 200 and await resp.json() == {"status": "ok"}
    async with http.get(running_gateway.url + "/readyz") as resp:
        body = await resp.json()
        assert resp.status == 200 and body["checks"] == {"database": "ok", "queue": "ok"}
        assert body["database"] == database.dialect
    await running_gateway.gateway.store.close()  # the database goes away
    async with http.get(running_gateway.url + "/readyz") as resp:
        body = await resp.json()
        assert resp.status == 503 and body["checks"]["database"].startswith("failing")
