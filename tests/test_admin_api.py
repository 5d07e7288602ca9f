"""Tenants and Specter accounts over the JSON admin API, through uvicorn on loopback."""

from __future__ import annotations

import sqlite3

import pytest

ACCOUNT = {
    "id": "acme-specter",
    "sbm_id": 4711,
    "api_user_id": "api-user",
    "user_key": "user-key-SECRET-1",
    "integration_key": "integration-key-SECRET-2",
    "base_url": "http://127.0.0.1:9/",
}
TENANT = {
    "id": "acme-woo",
    "name": "Acme Woo",
    "platform": "woocommerce",
    "account_id": "acme-specter",
    "shop": {
        "url": "https://shop.example.se/",
        "consumer_key": "ck_123",
        "consumer_secret": "cs_SECRET-3",
        "webhook_secret": "whsec-SECRET-4",
    },
    "settings": {"order_export": "manual", "include_zero_shipping": True, "external_order_prefix": "ACME-"},
}
SECRETS = ("SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4")


async def api(http, gw, method, path, json=None, token=True):
    headers = gw.admin_headers() if token else {}
    async with http.request(method, gw.url + "/admin/api" + path, json=json, headers=headers) as resp:
        text = await resp.text()
        body = await resp.json(content_type=None) if text else None
        return resp.status, body


async def make_tenant(http, gw):
    assert (await api(http, gw, "POST", "/accounts", ACCOUNT))[0] == 201
    status, body = await api(http, gw, "POST", "/tenants", TENANT)
    assert status == 201, body
    return body


async def test_tenant_crud(running_gateway, http):
    gw = running_gateway
    created = await make_tenant(http, gw)
    assert created["settings"]["order_export"] == "manual"
    assert created["settings"]["include_zero_shipping"] is True
    assert created["settings"]["delete_from_specter"] is True  # the connectors' default

    status, listed = await api(http, gw, "GET", "/tenants")
    assert status == 200 and [t["id"] for t in listed] == ["acme-woo"]

    status, changed = await api(http, gw, "PATCH", "/tenants/acme-woo", {"settings": {"order_export": "inactive"}})
    assert status == 200
    assert changed["settings"]["order_export"] == "inactive"
    assert changed["settings"]["include_zero_shipping"] is True  # other settings kept

    status, shown = await api(http, gw, "GET", "/tenants/acme-woo")
    assert shown["settings"]["order_export"] == "inactive"
    assert set(shown["counts"].values()) == {0}

    # Never connected: no webhooks of the gateway's in the shop, and the shop is not asked.
    assert await api(http, gw, "DELETE", "/tenants/acme-woo") == (
        200, {"removed": "acme-woo", "webhooks": [], "warning": None})
    status, body = await api(http, gw, "GET", "/tenants/acme-woo")
    assert status == 404 and "acme-woo" in body["error"]


async def test_secrets_are_masked_and_kept_when_sent_back_masked(running_gateway, http):
    gw = running_gateway
    created = await make_tenant(http, gw)
    for text in (str(created), str((await api(http, gw, "GET", "/accounts"))[1])):
        for secret in SECRETS:
            assert secret not in text
    assert created["shop"]["consumer_secret"] == "********"
    assert created["shop"]["consumer_key"] == "ck_123"  # not a secret

    # The form a user got back, sent again with the mask: the stored secret must survive.
    await api(http, gw, "PATCH", "/tenants/acme-woo", {"shop": created["shop"] | {"url": "https://new.example.se/"}})
    tenant = await gw.gateway.store.get_tenant("acme-woo")
    assert tenant.shop["consumer_secret"] == "cs_SECRET-3"
    assert tenant.shop["url"] == "https://new.example.se/"

    # And nothing readable in the database file.
    raw = b"".join(
        str(row).encode() for table in ("tenants", "accounts")
        for row in sqlite3.connect(gw.gateway.config.database_path).execute(f"SELECT * FROM {table}")
    )
    for secret in SECRETS:
        assert secret.encode() not in raw


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"platform": "shopify"}, 400, ["unknown shop platform 'shopify'", "woocommerce"]),
        ({"account_id": "nope"}, 422, ["unknown Specter account 'nope'"]),
        ({"settings": {"order_export": "sometimes"}}, 422, ["$.settings.order_export"]),
        ({"settings": {"no_such_setting": True}}, 422, ["no_such_setting"]),
        ({"settings": {"shipping_article_no": "FRAKT Ö"}}, 422, ["$.settings.shipping_article_no"]),
        ({"shop": {"url": "https://x/"}}, 422, ["consumer_key", "$.shop"]),
        ({"id": "Bad Id!"}, 422, ["$.id"]),
        ({"settings": {"order_status_map": {"shipped": "completed"}}}, 422,
         ["'shipped' is no order change of Specter's", "delivered, deleted, removed or a Specter status id"]),
        ({"settings": {"order_status_map": {"3": " "}}}, 422, ["3 names no shop status", "leave 3 out"]),
        ({"settings": {"order_status_map": {"delivered": "wc-completed"}}}, 422,
         ["delivered=wc-completed", "without its wc- prefix: write completed",
          "$.settings.order_status_map.delivered"]),
        ({"settings": {"order_status_map": {"deleted": "trash"}}}, 422, ["cannot put an order in the trash"]),
    ],
)
async def test_bad_tenant_is_refused_with_a_clear_error_and_nothing_stored(running_gateway, http, change, status,
                                                                            words):
    gw = running_gateway
    await api(http, gw, "POST", "/accounts", ACCOUNT)
    got, body = await api(http, gw, "POST", "/tenants", TENANT | change)
    assert got == status, body
    message = body["error"] + " " + str(body.get("field", ""))
    for word in words:
        assert word in message
    assert await gw.gateway.store.list_tenants() == []


async def test_a_second_shop_on_an_account_needs_an_order_prefix_that_cannot_collide(running_gateway, http):
    gw = running_gateway
    await make_tenant(http, gw)
    second = TENANT | {"id": "acme-woo2"}
    status, body = await api(http, gw, "POST", "/tenants", second)
    assert status == 409, body
    assert "'acme-woo2' shares Specter account 'acme-specter' with tenant 'acme-woo'" in body["error"]
    assert "prefixes 'ACME-' and 'ACME-'" in body["error"] and "external_order_prefix=ACMEWOO2-" in body["error"]
    assert [t.id for t in await gw.gateway.store.list_tenants()] == ["acme-woo"]

    status, _ = await api(http, gw, "PATCH", "/tenants/acme-woo", {"settings": {"external_order_prefix": "W1-"}})
    assert status == 200
    status, body = await api(http, gw, "POST", "/tenants", second | {"settings": {"external_order_prefix": "W2-"}})
    assert status == 201, body
    status, body = await api(http, gw, "PATCH", "/tenants/acme-woo2", {"settings": {"external_order_prefix": "W"}})
    assert status == 409 and "prefixes 'W' and 'W1-'" in body["error"]
    stored = await gw.gateway.store.get_tenant("acme-woo2")
    assert stored is not None and stored.settings.external_order_prefix == "W2-"


async def test_an_order_status_the_platform_cannot_set_is_refused_when_saved(running_gateway, http):
    gw = running_gateway
    await api(http, gw, "POST", "/accounts", ACCOUNT)
    abicart = {"id": "acme-abi", "platform": "abicart", "account_id": "acme-specter",
               "shop": {"webshop": 22222, "auth_token": "abicart-SECRET"}}
    status, body = await api(http, gw, "POST", "/tenants",
                             abicart | {"settings": {"order_status_map": {"3": "on_hold"}}})
    assert status == 422, body
    assert "3=on_hold: Abicart's API sets no order status but discarded (cancelled)" in body["error"]
    assert body["field"] == "$.settings.order_status_map.3"
    assert await gw.gateway.store.list_tenants() == []
    status, body = await api(http, gw, "POST", "/tenants",
                             abicart | {"settings": {"order_status_map": {"3": "cancelled", "delivered": "completed"}}})
    assert status == 201, body
    assert body["settings"]["order_status_map"] == {"3": "cancelled", "delivered": "completed"}


async def test_admin_token_is_required(running_gateway, http):
    gw = running_gateway
    status, body = await api(http, gw, "GET", "/tenants", token=False)
    assert status == 401 and "admin token" in body["error"]
    async with http.get(gw.url + "/admin/api/tenants", headers={"Authorization": "Bearer wrong"}) as resp:
        assert resp.status == 401
    status, _ = await api(http, gw, "POST", "/accounts", ACCOUNT, token=False)
    assert status == 401
    assert await gw.gateway.store.list_accounts() == []


async def test_unknown_tenant_and_bad_json(running_gateway, http):
    gw = running_gateway
    status, body = await api(http, gw, "PATCH", "/tenants/ghost", {"name": "x"})
    assert status == 404 and "ghost" in body["error"]
    async with http.post(gw.url + "/admin/api/tenants", data=b"{not json", headers=gw.admin_headers()) as resp:
        assert resp.status == 422
        assert "not valid JSON" in (await resp.json())["error"]


async def test_account_in_use_cannot_be_removed(running_gateway, http):
    gw = running_gateway
    await make_tenant(http, gw)
    status, body = await api(http, gw, "DELETE", "/accounts/acme-specter")
    assert status == 400 and "acme-woo" in body["error"]
    assert await gw.gateway.store.get_account("acme-specter") is not None


async def test_platforms_lists_the_built_in_adapters(running_gateway, http):
    status, body = await api(http, running_gateway, "GET", "/platforms")
    assert {p["name"] for p in body} >= {"woocommerce", "abicart", "legacy_php"}
