"""Abicart end to end over loopback: fake Abicart -> gateway -> Specter simulator, and back; the
cases particular to Abicart's documented API (listeners as hints backed by polling, the shop's
own settings, prices and tiers, variants, its errors, custom fields)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from adapters.abicart.fake_shop.app import start_fake_abicart
from gateway.engine.poller import poll_once
from gateway.errors import PermanentError
from gateway.model import Article, ArticleGroup, StockLevel
from tests.stack import running_stack

TOKEN = "abicart-token-e2e"
DEFAULT_EVENTS = ["Order/created", "Order/changed", "Customer/created", "Customer/changed", "Article/created",
                  "Article/changed", "Article/deleted"]
_encoder = msgspec.json.Encoder(decimal_format="number")


@asynccontextmanager
async def abicart_stack(tmp_path, forms: dict[str, Any] | None = None, webshop: dict[str, Any] | None = None,
                        **settings):
    fake = await start_fake_abicart(auth_token=TOKEN)
    try:
        async with running_stack(tmp_path, shops=0) as stack:
            stack.fake = fake
            if forms:
                await control(stack, "forms", forms, "PATCH")
            if webshop:
                await control(stack, "webshop", webshop, "PATCH")
            await stack.add_tenant("shop1", "abicart", {"webshop": 4711, "auth_token": TOKEN, "url": fake.url},
                                   **settings)
            yield stack
    finally:
        await fake.stop()


async def control(stack, path: str, body: Any = None, method: str = "POST") -> Any:
    async with stack.http.request(method, stack.fake.base + "_control/" + path, data=_encoder.encode(body),
                                  headers={"Content-Type": "application/json"}) as resp:
        assert resp.status < 400, await resp.text()
        return await resp.json()


async def call(stack, hook: str, **kwargs):
    tenant = await stack.gw.tenant(stack.tenant_id)
    return await getattr(await stack.gw.shop(tenant), hook)(**kwargs)


def listeners(stack) -> dict[str, dict]:
    return {x["eventName"]: x for x in stack.fake.state.listeners.values()}


def article(number: str, price: str = "125", **more: Any) -> dict[str, Any]:
    """An article as an admin makes it (price kept including 25 % VAT)."""
    return {"articleNumber": number, "name": {"sv": f"Artikel {number}"},
            "price": {"regular": {"SEK": Decimal(price)}}, "vatRate": Decimal("0.25"), "weight": 500,
            "stock": {"stock": 10}, **more}


CUSTOMER = {"info": {"email": "asa@example.se"},
            "address": {"firstName": "Åsa", "lastName": "Öberg", "address": "Storgatan 1", "postcode": "11122",
                        "town": "Stockholm", "country": "SE", "phoneDay": "08-1234"}}


async def checkout(stack, items: list[tuple[int, int]], **order: Any) -> dict:
    lines = [{"article": uid, "quantity": qty} for uid, qty in items]
    return await control(stack, "orders", {"order": {"customer": CUSTOMER, "items": lines, **order}})


# --- Listeners: registered once per name, moved, re-created; hints backed by polling -----------


async def test_connect_makes_one_listener_per_event_name_and_moves_it_with_the_gateway(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        assert sorted(listeners(stack)) == sorted(DEFAULT_EVENTS)
        token = await stack.inbound_token()
        old = {name: x["url"] for name, x in listeners(stack).items()}
        assert old["Order/created"] == f"{stack.events_url}?token={token}&event=Order%2Fcreated"
        uids = {x["uid"] for x in listeners(stack).values()}

        await stack.stop_gateway()
        await stack.start_gateway()  # on another port: its URL changed
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")
        assert status == 200, body
        # Abicart allows one listener per event name and token: each was moved, none added.
        assert {x["uid"] for x in listeners(stack).values()} == uids
        assert all(x["url"].startswith(stack.events_url + "?") for x in listeners(stack).values())
        assert all(x["url"] != old[name] for name, x in listeners(stack).items())
        assert any("now calls this gateway's URL" in line for line in body["webhooks"])


async def test_a_listener_gone_inactive_is_made_again_by_the_next_poll_which_finds_what_it_missed(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        await stack.settle()
        await poll_once(stack.gw)  # the first look: from now on, the poller's to find
        gone = listeners(stack)["Order/created"]
        await control(stack, f"listeners/{gone['uid']}/deactivate")
        order = await checkout(stack, [(shirt["uid"], 1)])
        await stack.settle()
        assert stack.sim.orders == {}, "an inactive listener calls nobody"

        await poll_once(stack.gw)
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == str(order["orderNumber"])
        again = listeners(stack)["Order/created"]
        assert again["uid"] != gone["uid"] and again["status"]["active"] and again["url"] == gone["url"]

        await checkout(stack, [(shirt["uid"], 1)])  # the new listener brings the next order at once
        await stack.settle()
        assert len(stack.sim.orders) == 2


async def test_a_shop_with_only_the_documented_event_name_is_served_by_polling(tmp_path):
    async with abicart_stack(tmp_path, forms={"event_names": ["Order/discarded"]}) as stack:
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")
        assert status == 200
        assert any("Order/created: not offered by this shop" in line for line in body["webhooks"])
        assert list(listeners(stack)) == []  # delete_order is off: nothing it offers is wanted

        await poll_once(stack.gw)
        shirt = await control(stack, "articles", article("TS-1"))
        customer = await control(stack, "customers", CUSTOMER)
        order = await checkout(stack, [(shirt["uid"], 2)])
        await stack.settle()
        assert (stack.sim.orders, stack.sim.articles.get("TS-1")) == ({}, None)

        await poll_once(stack.gw)
        events = await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == str(order["orderNumber"])
        assert stack.sim.articles["TS-1"].price_ex_vat == Decimal("100.00")
        found = {(e.kind, e.payload["object_id"]) for e in events
                 if e.payload.get("data", {}).get("found_by") == "poll"}
        assert {("shop.order", str(order["uid"])), ("shop.product", str(shirt["uid"])),
                ("shop.customer", str(customer["uid"]))} <= found


@pytest.mark.parametrize("body", ["object", "nested", "rpc", "form"])
async def test_a_listener_call_of_any_body_brings_the_order(tmp_path, body):
    async with abicart_stack(tmp_path, forms={"callback_body": body}) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        order = await checkout(stack, [(shirt["uid"], 1)])
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == str(order["orderNumber"])


async def test_a_listener_call_without_a_body_is_answered_and_the_poll_brings_the_order(tmp_path):
    async with abicart_stack(tmp_path, forms={"callback_body": "empty"}) as stack:
        await poll_once(stack.gw)
        shirt = await control(stack, "articles", article("TS-1"))
        await checkout(stack, [(shirt["uid"], 1)])
        await stack.settle()
        assert stack.sim.orders == {} and all(status == 200 for _, _, status in stack.fake.state.fired)
        await poll_once(stack.gw)
        await stack.settle()
        assert len(stack.sim.orders) == 1


async def test_a_wrong_token_is_refused_and_nothing_is_stored(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        body = {"eventName": "Order/created", "uid": 1}
        for query in ("?token=wrong&event=Order%2Fcreated", ""):
            async with stack.http.post(stack.events_url + query, json=body) as resp:
                assert resp.status == 401, await resp.text()
        assert await stack.events() == []


# --- Orders ---------------------------------------------------------------------------------------


async def test_an_order_reaches_specter_once_and_its_number_is_written_back_once(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", {**article("TS-1"), "choices": {"Färg": {"Röd": None}},
                                                  "variants": [{"articleNumber": "TS-1-RED", "stock": 4,
                                                                "options": {"Färg": "Röd"}}]})
        red = shirt["variants"][0]
        order = await control(stack, "orders", {"created_twice": True, "order": {
            "customer": CUSTOMER, "items": [{"article": shirt["uid"], "variant": red["uid"], "quantity": 2}]}})
        events = await stack.settle()

        [sent] = stack.sim.orders.values()
        assert sent.fields["externalOrderNo"] == str(order["orderNumber"])
        rows = [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows]
        assert rows == [("TS-1-RED", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        assert stack.sim.articles["TS-1-RED"].name == "Artikel TS-1 Röd"
        customer = stack.sim.customers[sent.customer_id]
        assert (customer.name, customer.email, customer.fields["address"], customer.fields["zipCodeEng"]) == (
            "Åsa Öberg", "asa@example.se", "Storgatan 1", "11122")
        assert stack.fake.state.orders[order["uid"]]["externalOrderNumber"] == sent.order_no
        assert not [e for e in events if e.status == "dead"], [(e.kind, e.last_error) for e in events]
        # Writing the number fired Order/changed once; its job found the number there already.
        assert stack.fake.state.calls.count("Order.set") == 1


async def test_custom_checkout_fields_and_an_order_discount_reach_specter(tmp_path):
    async with abicart_stack(tmp_path, include_customer_fields=True) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        await checkout(stack, [(shirt["uid"], 2)], custom={"Önskat leveransdatum": "2024-05-10"},
                       orderDiscount="20.00")
        await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.fields["internalComment"] == "Önskat leveransdatum: 2024-05-10"
        rows = [(r.article_no, r.price_ex_vat, r.vat_percent) for r in sent.rows]
        assert ("RABATT", Decimal("-20.00"), Decimal(25)) in rows


async def test_delivered_in_specter_is_sent_with_the_tracking_number_in_the_note_once(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        order = await checkout(stack, [(shirt["uid"], 1)])
        await stack.settle()
        [sent] = stack.sim.orders.values()
        await stack.specter_control("POST", f"orders/{sent.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()
        shown = stack.fake.state.orders[order["uid"]]
        assert (shown["deliveryStatus"], shown["note"]) == ("sent", "Spårningsnummer: PN123SE")
        writes = stack.fake.state.calls.count("Order.set")
        await stack.specter_control("POST", f"orders/{sent.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()
        assert stack.fake.state.calls.count("Order.set") == writes  # it shows that already


async def test_an_order_in_another_currency_is_refused_naming_it(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        await checkout(stack, [(shirt["uid"], 1)], currency="EUR")
        events = await stack.settle()
        assert stack.sim.orders == {}
        [refused] = [e for e in events if e.kind == "shop.order"]
        assert refused.status == "dead" and "EUR" in refused.last_error and "SEK" in refused.last_error


# --- The shop's settings, prices and variants -----------------------------------------------------


async def test_a_shop_whose_base_currency_is_not_sek_is_refused_when_connecting(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        await control(stack, "webshop", {"baseCurrency": "EUR"}, "PATCH")
        before = dict(stack.fake.state.listeners)
        with pytest.raises(PermanentError, match="base currency.*EUR.*SEK"):
            await call(stack, "register_webhooks", url=stack.events_url, topics=["order.deleted"])
        assert stack.fake.state.listeners == before


@pytest.mark.parametrize("price_form", ["money", "per_currency"])
@pytest.mark.parametrize("with_vat", [True, False])
async def test_prices_tiers_and_sale_prices_as_the_shop_keeps_them(tmp_path, price_form, with_vat):
    async with abicart_stack(tmp_path, forms={"price_form": price_form},
                             webshop={"priceStoredWithVat": with_vat}) as stack:
        stored = (lambda ex: Decimal(ex) * Decimal("1.25")) if with_vat else Decimal
        made = await control(stack, "articles", {
            **article("TS-1", stored("100")), "price": {"regular": {"SEK": stored("100")},
                                                        "specialOffer": {"SEK": stored("80")}},
            "tiers": [{"qtyFloor": 10, "regular": {"SEK": stored("90")}}]})
        await stack.settle()
        [found] = await call(stack, "fetch_product", product_id=str(made["uid"]))
        assert (found.price_ex_vat, found.sale_price_ex_vat, found.vat_percent) == (
            Decimal(100), Decimal(80), Decimal(25))
        assert [(t.min_quantity, t.price_ex_vat, t.sale_price_ex_vat) for t in found.price_tiers] == [
            (1, Decimal(100), Decimal(80)), (10, Decimal(90), None)]
        assert stack.sim.articles["TS-1"].price_ex_vat == Decimal(100)

        # Specter's price goes back as the shop keeps prices.
        cheaper = Article(article_no="TS-1", price_ex_vat=Decimal("72.00"), vat_percent=Decimal(25))
        await call(stack, "upsert_product", article=cheaper, category_id=None, fields=frozenset({"price_ex_vat"}))
        regular = stack.fake.state.articles[made["uid"]]["price"]["regular"]
        assert regular == {"SEK": Decimal("90.00") if with_vat else Decimal("72.00")}


@pytest.mark.parametrize("variant_form", ["choices", "choiceOptions"])
async def test_variants_are_named_and_priced_from_the_parents_choices_with_stock_on_the_variant(tmp_path,
                                                                                                variant_form):
    async with abicart_stack(tmp_path, forms={"variant_form": variant_form}) as stack:
        shoe = await control(stack, "articles", {
            **article("SKO", "500"), "stock": {"stock": None},
            "choices": {"Storlek": {"40": None, "41": Decimal(25)}},
            "variants": [{"articleNumber": "SKO-40", "stock": 2, "options": {"Storlek": "40"}},
                         {"articleNumber": "SKO-41", "stock": 3, "options": {"Storlek": "41"}}]})
        plain = await control(stack, "articles", article("MOSSA", "125"))
        await control(stack, "articles", article("PAKET-1", "900", type="package"))
        events = await stack.settle()
        s40, s41 = stack.sim.articles["SKO-40"], stack.sim.articles["SKO-41"]
        assert (s40.name, s40.price_ex_vat, s41.name, s41.price_ex_vat) == (
            "Artikel SKO 40", Decimal("400.00"), "Artikel SKO 41", Decimal("420.00"))
        assert sum(s40.in_stock.values()) == 2
        assert "SKO" not in stack.sim.articles and "PAKET-1" not in stack.sim.articles
        [refused] = [e for e in events if e.status == "dead"]
        assert "package" in refused.last_error

        results = await call(stack, "update_stock", levels=[
            StockLevel(article_no="SKO-40", available=17), StockLevel(article_no="NOPE", available=1),
            StockLevel(article_no="MOSSA", available=0)])
        assert [(r.key, r.ok) for r in results] == [("SKO-40", True), ("NOPE", False), ("MOSSA", True)]
        assert "NOPE" in results[1].error
        assert stack.fake.state.variants[shoe["variants"][0]["uid"]]["stock"] == 17
        assert stack.fake.state.articles[plain["uid"]]["stock"] == {"stock": 0}
        events = await stack.settle()
        # The shop echoes the stock writes as Article/changed; nothing goes to Specter for them.
        assert sum(s40.in_stock.values()) == 2
        assert not [e for e in events if e.status == "dead" and "package" not in e.last_error]


async def test_categories_are_created_once_and_products_placed_in_them(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        group = ArticleGroup(code="10", name="Kläder", parent_code="Herr")
        first = await call(stack, "upsert_category", group=group, active=False)
        again = await call(stack, "upsert_category", group=group, active=False)
        assert first == again and len(stack.fake.state.groups) == 2
        made = stack.fake.state.groups[int(first)]
        assert made["name"] == {"sv": "Kläder"} and made["hidden"] is True

        new = Article(article_no="NY-1", name="Ny", price_ex_vat=Decimal("80.00"), vat_percent=Decimal(12))
        uid = await call(stack, "upsert_product", article=new, category_id=first, fields=frozenset({"name"}))
        created = stack.fake.state.articles[int(uid)]
        assert (created["articlegroup"], created["showInArticlegroups"], created["vatRate"]) == (
            int(first), [int(first)], Decimal("0.12"))
        assert created["price"]["regular"] == {"SEK": Decimal("89.60")}
        other = await call(stack, "upsert_category", group=ArticleGroup(code="11", name="Skor"), active=True)
        cheaper = Article(article_no="NY-1", name="Ignored", price_ex_vat=Decimal("70.00"), vat_percent=Decimal(12))
        assert await call(stack, "upsert_product", article=cheaper, category_id=other,
                          fields=frozenset({"price_ex_vat"})) == uid
        assert created["price"]["regular"] == {"SEK": Decimal("78.40")} and created["name"] == {"sv": "Ny"}
        assert (created["articlegroup"], created["showInArticlegroups"]) == (int(other), [int(first), int(other)])


# --- Abicart's errors -----------------------------------------------------------------------------


async def test_a_revoked_key_or_missing_rights_stop_the_work_naming_credentials_or_rights(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        await stack.settle()
        await control(stack, "tokens", {"token": TOKEN, "classes": ["Webshop", "Article", "ArticleVariant",
                                                                    "EventListener", "Customer"]})
        await checkout(stack, [(shirt["uid"], 1)])
        events = await stack.settle()
        [order] = [e for e in events if e.kind == "shop.order"]
        assert order.status == "dead" and order.attempts == 1 and "rights" in order.last_error

        await control(stack, "tokens", {"token": TOKEN, "active": False})
        await stack.specter_control("POST", "stock", {"articleNo": "TS-1", "site": "1", "inStock": 3})
        await stack.settle_all()
        [push] = [e for e in await stack.events(kind="stock.push") if e.status == "dead"]
        assert "credentials" in push.last_error and TOKEN not in push.last_error


async def test_abicarts_internal_errors_are_tried_again(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", article("TS-1"))
        await stack.settle()
        await control(stack, "faults", {"rpc_error": -32603, "count": 2})
        await checkout(stack, [(shirt["uid"], 1)])
        events = await stack.settle()
        [order] = [e for e in events if e.kind == "shop.order" and e.status == "done"]
        assert len(stack.sim.orders) == 1 and order.attempts > 1
