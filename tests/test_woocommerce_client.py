"""The WooCommerce client and hooks against the fake shop, over real HTTP on loopback."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.woocommerce import plugin
from adapters.woocommerce.client import WooCommerceClient, WooCommerceError
from adapters.woocommerce.fake_shop.app import RunningFakeShop, start_fake_woocommerce
from gateway.adapter import InboundRequest, WebhookCheck
from gateway.errors import PermanentError, TransientError
from gateway.model import ArticleGroup, OrderStatusUpdate, StockLevel
from gateway.settings import Tenant

CK = "ck_test_0123456789"
CS = "cs_test_secret_abcdef"
WS = "webhook-secret-xyz"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{CK}:{CS}".encode()).decode()}


@pytest.fixture
async def fake() -> AsyncIterator[RunningFakeShop]:
    running = await start_fake_woocommerce(consumer_key=CK, consumer_secret=CS, webhook_secret=WS)
    yield running
    await running.stop()


@pytest.fixture
def client(fake: RunningFakeShop, http: aiohttp.ClientSession) -> WooCommerceClient:
    return WooCommerceClient(fake.url, CK, CS, http)


@pytest.fixture
def shop(fake: RunningFakeShop, http: aiohttp.ClientSession) -> plugin.WooShop:
    tenant = Tenant(id="woo", platform="woocommerce", account_id="acc",
                    shop={"url": fake.url, "consumer_key": CK, "consumer_secret": CS, "webhook_secret": WS})
    return plugin.open_shop(tenant=tenant, http=http)


async def control(http: aiohttp.ClientSession, fake: RunningFakeShop, path: str, body: Any = None) -> Any:
    async with http.request("GET" if body is None else "POST", f"{fake.url}_control/{path}", json=body) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json()


async def add_products(http: aiohttp.ClientSession, fake: RunningFakeShop, n: int) -> list[int]:
    return [(await control(http, fake, "products", {"name": f"Kaffe {i}", "sku": f"KAFFE-{i}", "regular_price": "89.00",
                                                   "manage_stock": True, "stock_quantity": 5}))["id"] for i in range(n)]


async def add_tshirt(http: aiohttp.ClientSession, fake: RunningFakeShop) -> dict[str, Any]:
    return await control(http, fake, "products", {"name": "T-shirt", "sku": "TSHIRT", "variations": [
        {"sku": f"TSHIRT-{size}", "regular_price": "199.00", "manage_stock": True, "stock_quantity": 10,
         "attributes": [{"name": "Storlek", "option": size}]} for size in ("S", "M")]})


async def test_pages_follow_the_total_pages_header(client, fake, http):
    await add_products(http, fake, 5)
    pages = [page async for page in client.pages("products", per_page=2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({p["id"] for page in pages for p in page}) == 5


async def test_iter_products_yields_articles_per_page_with_variations(shop, fake, http):
    await add_products(http, fake, 2)
    await add_tshirt(http, fake)
    pages = [page async for page in plugin.iter_products(shop=shop, page_size=2)]
    assert sorted(a.article_no for page in pages for a in page) == ["KAFFE-0", "KAFFE-1", "TSHIRT-M", "TSHIRT-S"]
    shirt = next(a for page in pages for a in page if a.article_no == "TSHIRT-S")
    assert shirt.name == "T-shirt - S" and shirt.price_ex_vat == Decimal("199.00") and shirt.parent_shop_id


async def test_batches_are_split_at_one_hundred(client, fake, http):
    ids = await add_products(http, fake, 3)
    items = [{"id": ids[i % 3], "stock_quantity": i} for i in range(150)]
    results = await client.batch_update("products/batch", items)
    assert len(results) == 150 and all(r.ok for r in results)
    assert fake.state.batch_sizes == [100, 50]
    with pytest.raises(WooCommerceError) as caught:  # what the shop says to 101 in one request
        await client.request("POST", "products/batch", body={"update": items[:101]})
    assert (caught.value.status, caught.value.code) == (413, "woocommerce_rest_request_entity_too_large")


async def test_a_failing_batch_item_fails_alone(client, fake, http):
    ids = await add_products(http, fake, 2)
    results = await client.batch_update(
        "products/batch",
        [
            {"id": ids[0], "stock_quantity": 40},
            {"id": 999999, "stock_quantity": 1},
            {"id": ids[1], "stock_quantity": 41},
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "woocommerce_rest_product_invalid_id" in results[1].error
    assert [fake.state.products[i]["stock_quantity"] for i in ids] == [40, 41]


@pytest.mark.parametrize("kind", ["rate_limit", "html", "error500"])
async def test_throttling_challenge_pages_and_server_errors_are_transient(client, fake, http, kind):
    await control(http, fake, "faults", {"kind": kind, "count": 1})
    with pytest.raises(TransientError):
        await client.get_order("1")
    assert await client.get_order("1") is None  # the next request reaches the shop again


async def test_a_lost_connection_is_transient(http):
    client = WooCommerceClient("http://127.0.0.1:9/", CK, CS, http)
    with pytest.raises(TransientError) as caught:
        await client.get_order("1")
    assert CS not in str(caught.value)


async def test_over_http_oauth_is_accepted_and_basic_auth_refused(client, fake, http):
    await add_products(http, fake, 1)
    assert len(await client.find_by_sku("KAFFE-0") or {}) > 0
    api = f"{fake.url}wp-json/wc/v3/products"
    async with http.get(api, headers=BASIC) as resp:
        assert resp.status == 401
        assert await resp.json() == {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
    async with http.get(api, params={"consumer_key": CK, "consumer_secret": CS}) as resp:
        assert resp.status == 401
    # Behind an HTTPS proxy Basic auth works.
    async with http.get(api, headers={**BASIC, "X-Forwarded-Proto": "https"}) as resp:
        assert resp.status == 200


async def test_a_wrong_secret_is_permanent_and_never_shown(fake, http):
    client = WooCommerceClient(fake.url, CK, "cs_wrong_secret_value", http)
    with pytest.raises(PermanentError) as caught:
        await client.get_order("1")
    assert "Invalid signature" in str(caught.value) and "cs_wrong_secret_value" not in str(caught.value)
    assert "cs_wrong" not in repr(client)


async def test_fetch_order_decodes_what_the_shop_computed(shop, fake, http):
    ids = await add_products(http, fake, 1)
    order = await control(
        http,
        fake,
        "orders",
        {
            "order": {
                "status": "processing",
                "payment_method": "kco",
                "transaction_id": "kco-1",
                "billing": {"first_name": "Åsa", "email": "asa@example.se", "company": "Åsa AB"},
                "line_items": [{"product_id": ids[0], "quantity": 3}],
                "coupon_lines": [{"code": "rabatt10"}],
                "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": "49.00"}],
            }
        },
    )
    fetched = await plugin.fetch_order(shop=shop, order_id=str(order["id"]))
    product, shipping = fetched.rows
    assert (product.unit_price_ex_vat, product.quantity, product.discount_ex_vat) == (
        Decimal("89.00"),
        3,
        Decimal("26.70"),
    )
    assert shipping.method_id == "flat_rate" and fetched.customer.company == "Åsa AB"
    assert fetched.discount_codes == ["rabatt10"] and fetched.payment.transaction_id == "kco-1"
    assert await plugin.fetch_order(shop=shop, order_id="424242") is None


async def test_update_stock_for_simple_products_and_variations(shop, fake, http):
    ids = await add_products(http, fake, 1)
    shirt = await add_tshirt(http, fake)
    results = await plugin.update_stock(
        shop=shop,
        levels=[
            StockLevel(article_no="KAFFE-0", available=17),
            StockLevel(article_no="TSHIRT-M", available=3),
            StockLevel(article_no="NOPE-1", available=1),
        ],
    )
    assert [(r.key, r.ok) for r in results] == [("KAFFE-0", True), ("TSHIRT-M", True), ("NOPE-1", False)]
    assert results[2].error == "no product with article number NOPE-1"
    medium = next(p for p in fake.state.products.values() if p["sku"] == "TSHIRT-M")
    assert fake.state.products[ids[0]]["stock_quantity"] == 17 and medium["stock_quantity"] == 3
    assert medium["parent_id"] == shirt["id"]


async def test_a_category_upserted_twice_exists_once(shop, fake):
    group = ArticleGroup(code="ESP", name="Espresso", parent_code="Kaffe")
    first = await plugin.upsert_category(shop=shop, group=group, active=True)
    second = await plugin.upsert_category(shop=shop, group=group, active=True)
    assert first == second
    assert sorted((c["name"], c["parent"] > 0) for c in fake.state.categories.values()) == [
        ("Espresso", True),
        ("Kaffe", False),
    ]


async def test_order_status_and_specter_number_are_written_to_the_order(shop, fake, http):
    ids = await add_products(http, fake, 1)
    order = await control(
        http, fake, "orders", {"order": {"status": "processing", "line_items": [{"product_id": ids[0], "quantity": 1}]}}
    )
    oid = str(order["id"])
    await plugin.set_specter_order_no(shop=shop, order_id=oid, specter_order_no="5001")
    await plugin.set_order_status(
        shop=shop,
        order_id=oid,
        update=OrderStatusUpdate(specter_order_no="5001", delivered=True, tracking_numbers=["PN123", "PN456"],
                                 shop_status="completed"),
    )
    stored = fake.state.orders[order["id"]]
    meta = {m["key"]: m["value"] for m in stored["meta_data"]}
    assert stored["status"] == "completed"
    assert meta["_specter_order_no"] == "5001" and meta["_specter_tracking_numbers"] == "PN123, PN456"


async def test_a_note_an_earlier_attempt_wrote_is_not_written_again(shop, client, fake, http):
    [pid] = await add_products(http, fake, 1)
    order = await control(http, fake, "orders", {"order": {"status": "processing", "line_items": [
        {"product_id": pid, "quantity": 1}]}})
    oid = str(order["id"])
    # An attempt wrote the customer's note, then failed before the meta that marks PN1 shown.
    await client.add_order_note(oid, "Din order har skickats. Spårningsnummer: PN1", customer_note=True)
    answer = await plugin.set_order_status(shop=shop, order_id=oid, update=OrderStatusUpdate(
        specter_order_no="5001", delivered=True, tracking_numbers=["PN1", "PN12"], shop_status="completed"))
    assert (answer.status, answer.tracking_added) == ("completed", ["PN1", "PN12"])
    assert [n["note"] for n in reversed(await client.order_notes(oid))] == [
        "Din order har skickats. Spårningsnummer: PN1", "Din order har skickats. Spårningsnummer: PN12"]
    meta = {m["key"]: m["value"] for m in fake.state.orders[order["id"]]["meta_data"]}
    assert [i["tracking_number"] for i in meta["_wc_shipment_tracking_items"]] == ["PN1", "PN12"]


class Receiver:
    """A webhook endpoint that answers 200 and keeps what it got, as the gateway would."""

    def __init__(self) -> None:
        self.requests: list[InboundRequest] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            InboundRequest(
                method=request.method,
                path=request.path,
                query={},
                headers={k.lower(): v for k, v in request.headers.items()},
                body=await request.read(),
            )
        )
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield got, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


async def test_registered_webhooks_deliver_signed_events(shop, fake, http, receiver):
    got, url = receiver
    topics = ["order.created", "order.updated", "product.updated"]
    done = await plugin.register_webhooks(shop=shop, url=url, topics=topics)
    assert len(done) == 3 and all("created" in line for line in done)
    again = await plugin.register_webhooks(shop=shop, url=url, topics=topics)
    assert len(fake.state.webhooks) == 3 and all("already active" in line for line in again)
    assert [plugin.decode_shop_request(shop=shop, request=r) for r in got.requests] == [[], [], []]  # pings

    ids = await add_products(http, fake, 1)
    got.requests.clear()
    order = await control(
        http, fake, "orders", {"order": {"status": "processing", "line_items": [{"product_id": ids[0], "quantity": 2}]}}
    )
    events = [e for r in got.requests for e in plugin.decode_shop_request(shop=shop, request=r)]
    assert [(e.object, e.action, e.object_id) for e in events] == [
        ("order", "created", str(order["id"])),
        ("order", "updated", str(order["id"])),
        ("product", "updated", str(ids[0])),
    ]  # the stock echo
    assert events[2].payload["stock_quantity"] == 3


async def test_every_order_save_moves_date_modified_and_fires_but_a_note_does_not(shop, client, fake, http,
                                                                                 receiver):
    got, url = receiver
    await plugin.register_webhooks(shop=shop, url=url, topics=["order.updated"])
    ids = await add_products(http, fake, 1)
    order = await control(
        http, fake, "orders", {"order": {"status": "processing", "line_items": [{"product_id": ids[0], "quantity": 1}]}}
    )
    oid, path = str(order["id"]), f"/wp-json/wc/v3/orders/{order['id']}"
    got.requests.clear()
    stamps = [order["date_modified_gmt"]]
    for n in range(3):  # meta-only saves, all within a second or two
        stamps.append((await client.update_order(oid, {"meta_data": [{"key": "erp_sync", "value": str(n)}]}))[
            "date_modified_gmt"])
    assert stamps == sorted(set(stamps))  # each save moved it, as the real shop's do
    assert [r.headers["x-wc-webhook-topic"] for r in got.requests] == ["order.updated"] * 3

    got.requests.clear()
    note = (await client.request("POST", f"orders/{oid}/notes",
                                 body={"note": "Ditt paket är skickat: PN123SE", "customer_note": True})).object()
    assert note["customer_note"] is True and note["note"] == "Ditt paket är skickat: PN123SE"
    notes = (await client.request("GET", f"orders/{oid}/notes")).objects()
    assert [(n["note"], n["customer_note"]) for n in notes] == [("Ditt paket är skickat: PN123SE", True)]
    assert got.requests == []  # a note fires nothing
    assert (await client.get_order(oid) or {})["date_modified_gmt"] == stamps[-1]

    ahead = await control(http, fake, "clock", {"advance_s": 3600})
    saved = await client.update_order(oid, {"meta_data": [{"key": "erp_sync", "value": "later"}]})
    assert saved["date_modified_gmt"] >= ahead["now"]  # the shop's clock jumped ahead
    writes = fake.state.writes
    assert writes.count(("PUT", path)) == 4 and ("POST", f"{path}/notes") in writes


async def test_an_order_gives_its_stock_back_when_cancelled_or_pending_as_woocommerce_does(client, fake, http,
                                                                                          receiver):
    got, url = receiver
    for topic in ("order.updated", "product.updated"):
        await client.create_webhook(topic, url, WS)
    [pid] = await add_products(http, fake, 1)  # 5 in stock
    orders = [await control(http, fake, "orders", {"order": {"status": "processing", "line_items": [
        {"product_id": pid, "quantity": 1}]}}) for _ in range(3)]
    assert fake.state.products[pid]["stock_quantity"] == 2
    got.requests.clear()

    await client.update_order(str(orders[0]["id"]), {"status": "cancelled"})
    topics = [(r.headers["x-wc-webhook-topic"], r.headers["x-wc-webhook-resource"]) for r in got.requests]
    assert topics == [("order.updated", "order"), ("product.updated", "product")]  # as captured
    assert fake.state.products[pid]["stock_quantity"] == 3
    await client.update_order(str(orders[0]["id"]), {"status": "cancelled"})  # saved again: put back once
    await client.update_order(str(orders[1]["id"]), {"status": "refunded"})  # a refund's restock is the refund's
    await client.update_order(str(orders[2]["id"]), {"status": "failed"})
    assert fake.state.products[pid]["stock_quantity"] == 3
    await client.update_order(str(orders[1]["id"]), {"status": "pending"})
    assert fake.state.products[pid]["stock_quantity"] == 4


async def test_order_notes_and_statuses_only_in_their_documented_form(client, fake, http):
    [pid] = await add_products(http, fake, 1)
    order = await control(http, fake, "orders", {"order": {"status": "processing", "line_items": [
        {"product_id": pid, "quantity": 1}]}})
    oid = str(order["id"])
    with pytest.raises(WooCommerceError) as caught:
        await client.request("POST", f"orders/{oid}/notes", body={"customer_note": True})
    assert caught.value.code == "rest_missing_callback_param"
    with pytest.raises(WooCommerceError) as caught:
        await client.request("POST", f"orders/{oid}/notes", body={"note": "Skickad", "customer_note": "yes"})
    assert caught.value.data["params"] == {"customer_note": "customer_note is not of type boolean."}
    await client.add_order_note(oid, "Intern anteckning", customer_note=False)
    await client.add_order_note(oid, "Skickad: PN1", customer_note=True)
    assert [(n["note"], n["customer_note"]) for n in await client.order_notes(oid)] == [
        ("Skickad: PN1", True), ("Intern anteckning", False)]  # newest first
    assert [(m["to"], m["text"]) for m in fake.state.mails] == [("", "Skickad: PN1")]  # only the customer's

    with pytest.raises(WooCommerceError) as caught:  # as captured: a plugin's status the shop lacks
        await client.update_order(oid, {"status": "shipped"})
    assert caught.value.data["params"]["status"] == ("status is not one of auto-draft, pending, processing, on-hold, "
                                                     "completed, cancelled, refunded, failed, and checkout-draft.")
    await control(http, fake, "order-statuses", {"slug": "shipped"})  # the plugin is installed
    assert (await client.update_order(oid, {"status": "shipped"}))["status"] == "shipped"


async def test_misbehaving_deliveries_on_demand(shop, fake, http, receiver):
    got, url = receiver
    await plugin.register_webhooks(shop=shop, url=url, topics=["order.created"])
    ids = await add_products(http, fake, 1)
    got.requests.clear()
    order = await control(
        http,
        fake,
        "orders",
        {
            "created_twice": True,
            "created_before_items": True,
            "order": {"status": "checkout-draft", "line_items": [{"product_id": ids[0], "quantity": 1}]},
        },
    )
    events = [e for r in got.requests for e in plugin.decode_shop_request(shop=shop, request=r)]
    assert len(events) == 2 and events[0].payload["line_items"] == 0  # the first came before its items
    assert events[1].payload["line_items"] == 1
    assert got.requests[0].headers["x-wc-webhook-delivery-id"] != got.requests[1].headers["x-wc-webhook-delivery-id"]
    fetched = await plugin.fetch_order(shop=shop, order_id=str(order["id"]))
    assert fetched.state == "draft" and len(fetched.rows) == 1


async def test_a_webhook_failing_seven_times_in_a_row_is_disabled_and_re_activating_keeps_its_count(
        shop, fake, http, receiver):
    _, live = receiver
    await plugin.register_webhooks(shop=shop, url="http://127.0.0.1:9/gone", topics=["product.updated"])
    (pid,) = await add_products(http, fake, 1)

    async def change(stock: int) -> list[dict[str, Any]]:
        async with http.put(f"{fake.url}_control/products/{pid}", json={"stock_quantity": stock}) as resp:
            assert resp.status == 200
        return await control(http, fake, "deliveries?topic=product.updated")

    for n in range(8):
        log = await change(n)
    assert [d["status"] for d in log] == [0] * 7  # nobody answered; the eighth change was not sent
    assert [d["failure_count"] for d in log] == [1, 2, 3, 4, 5, 6, 6]
    assert [d["webhook_status"] for d in log] == ["active"] * 6 + ["disabled"]
    (hook,) = fake.state.webhooks.values()
    assert (await client_get(http, fake, f"webhooks/{hook.id}"))["status"] == "disabled"

    done = await plugin.register_webhooks(shop=shop, url="http://127.0.0.1:9/gone", topics=["product.updated"])
    assert "re-activated" in done[0] and hook.status == "active"
    assert (await change(8))[-1] | {"at": None} == {  # its count was kept: one more failure disables it
        "webhook_id": hook.id, "topic": "product.updated", "id": pid, "delivery_url": "http://127.0.0.1:9/gone",
        "status": 0, "at": None, "failure_count": 6, "webhook_status": "disabled"}
    [check] = await plugin.check_webhooks(shop=shop, url=live, topics=["product.updated"],
                                          previous_url="http://127.0.0.1:9/gone", settings_changed=False)
    assert check == WebhookCheck(topic="product.updated", found="disabled", webhook_id=str(hook.id),
                                 repaired="moved to the gateway's new URL, re-activated", active=True)
    last = (await change(9))[-1]
    assert (last["status"], last["failure_count"], last["delivery_url"]) == (200, 0, live)  # a success resets it


async def client_get(http: aiohttp.ClientSession, fake: RunningFakeShop, path: str) -> Any:
    return (await WooCommerceClient(fake.url, CK, CS, http).request("GET", path)).object()


async def test_checking_webhooks_repairs_what_is_wrong_and_writes_nothing_that_is_right(shop, fake, http, receiver):
    _, url = receiver
    topics = ["order.created", "order.updated"]
    created = await plugin.check_webhooks(shop=shop, url=url, topics=topics, previous_url="", settings_changed=False)
    assert [(c.found, c.repaired, c.active) for c in created] == [("missing", "created", True)] * 2
    first, second = fake.state.webhooks.values()
    await plugin.register_webhooks(shop=shop, url="http://127.0.0.1:9/other", topics=["order.created"])  # not ours
    client = WooCommerceClient(fake.url, CK, CS, http)
    await client.update_webhook(first.id, {"status": "paused"})
    writes = len(fake.state.writes)

    checked = await plugin.check_webhooks(shop=shop, url=url, topics=topics, previous_url=url, settings_changed=False)
    assert [(c.found, c.repaired) for c in checked] == [("paused", "re-activated"), ("active", "")]
    assert fake.state.writes[writes:] == [("PUT", f"/wp-json/wc/v3/webhooks/{first.id}")]  # the paused one alone
    writes = len(fake.state.writes)
    await plugin.check_webhooks(shop=shop, url=url, topics=topics, previous_url=url, settings_changed=False)
    assert len(fake.state.writes) == writes  # all was right

    rotated = plugin.open_shop(tenant=Tenant(id="woo", platform="woocommerce", account_id="acc", shop={
        "url": fake.url, "consumer_key": CK, "consumer_secret": CS, "webhook_secret": "rotated"}), http=http)
    checked = await plugin.check_webhooks(shop=rotated, url=url, topics=topics, previous_url=url, settings_changed=True)
    assert {c.repaired for c in checked} == {"secret updated"} and (first.secret, second.secret) == ("rotated",) * 2

    removed = await plugin.remove_webhooks(shop=shop, urls=[url])
    assert sorted(removed) == sorted(f"{h.topic}: deleted webhook {h.id}" for h in (first, second))
    assert [h.delivery_url for h in fake.state.webhooks.values()] == ["http://127.0.0.1:9/other"]
    with pytest.raises(TransientError, match="501"):  # a webhook cannot be trashed: only force deletes it
        await client.request("DELETE", f"webhooks/{next(iter(fake.state.webhooks))}")


async def test_over_https_the_client_uses_basic_auth_or_query_keys(fake, http, monkeypatch):
    # The fake serves plain HTTP; the "proxy" header makes it judge the request as HTTPS, the
    # way WordPress behind a TLS-terminating proxy does.
    seen: list[str] = []
    for query_auth in (False, True):
        client = WooCommerceClient(fake.url.replace("http:", "https:"), CK, CS, http, query_string_auth=query_auth)
        client.api = f"{fake.url}wp-json/wc/v3/"  # reach the fake over HTTP, keep the HTTPS auth
        original = http._request

        async def via_proxy(method, url, original=original, **kwargs):
            kwargs["headers"] = {**kwargs.get("headers", {}), "X-Forwarded-Proto": "https"}
            seen.append(str(url))
            return await original(method, url, **kwargs)

        monkeypatch.setattr(http, "_request", via_proxy)
        assert await client.get_order("424242") is None  # authenticated: a 404, not a 401
        monkeypatch.setattr(http, "_request", original)
    assert "oauth_signature" not in seen[0] and "consumer_secret" not in seen[0]
    assert "consumer_key=" in seen[1] and "oauth_signature" not in seen[1]


async def test_an_answer_of_the_wrong_shape_is_a_clear_permanent_error(http):
    """A plugin or proxy answering a list where an order belongs, or a string for a page of products."""
    answers = {"/wp-json/wc/v3/orders/1": [], "/wp-json/wc/v3/products": "maintenance"}

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(answers[request.path])

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        client = WooCommerceClient(f"http://{host}:{port}/", CK, CS, http)
        with pytest.raises(PermanentError, match="GET orders/1: answered list where an object belongs"):
            await client.get_order("1")
        with pytest.raises(PermanentError, match="GET products: answered str where a list of objects belongs"):
            await client.find_by_sku("KAFFE-0")
    finally:
        await runner.cleanup()
