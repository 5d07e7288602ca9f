"""Abicart end to end over loopback: fake Abicart -> gateway -> Specter simulator, and back."""

from __future__ import annotations

from contextlib import asynccontextmanager
from decimal import Decimal

from adapters.abicart.fake_shop.app import start_fake_abicart
from gateway.model import ArticleGroup, StockLevel
from tests.stack import running_stack

TOKEN = "abicart-token-e2e"


@asynccontextmanager
async def abicart_stack(tmp_path, **settings):
    fake = await start_fake_abicart(auth_token=TOKEN)
    try:
        shop = {"webshop": 4711, "auth_token": TOKEN, "url": fake.url}
        async with running_stack(tmp_path, shops=0) as stack:
            await stack.add_tenant("shop1", "abicart", shop, **settings)
            stack.fake = fake
            yield stack
    finally:
        await fake.stop()


async def control(stack, path: str, body: dict) -> dict:
    async with stack.http.post(stack.fake.base + "_control/" + path, json=body) as resp:
        assert resp.status < 400, await resp.text()
        return await resp.json()


async def call(stack, hook: str, **kwargs):
    tenant = await stack.gw.tenant(stack.tenant_id)
    return await getattr(await stack.gw.shop(tenant), hook)(**kwargs)


CUSTOMER = {"info": {"email": "asa@example.se"},
            "address": {"firstName": "Åsa", "lastName": "Öberg", "street": "Storgatan 1", "zipcode": "11122",
                        "city": "Stockholm", "country": "SE"}}


async def test_connect_registers_one_listener_per_event_with_the_token(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        names = sorted(x["eventName"] for x in stack.fake.state.listeners.values())
        assert names == sorted(["Order/created", "Order/changed", "Customer/created", "Customer/changed",
                                "Article/created", "Article/changed", "Article/deleted"])
        token = await stack.inbound_token()
        assert all(x["url"] == f"{stack.events_url}?token={token}" for x in stack.fake.state.listeners.values())
        await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")  # again: nothing new
        assert len(stack.fake.state.listeners) == 7


async def test_an_order_reaches_specter_once_and_its_number_is_written_back(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shirt = await control(stack, "articles", {"articleNumber": "TS-1", "name": {"sv": "Tröja"}, "price": "100.00",
                                                  "stock": 10, "variants": [
                                                      {"articleNumber": "TS-1-RED", "choices": ["Röd"], "stock": 4}]})
        red = shirt["variants"][0]
        order = await control(stack, "orders", {"created_twice": True, "order": {
            "customer": CUSTOMER, "items": [{"article": shirt["uid"], "variant": red["uid"], "quantity": 2}]}})
        events = await stack.settle()

        [sent] = stack.sim.orders.values()
        assert sent.fields["externalOrderNo"] == str(order["orderNumber"])
        rows = [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows]
        assert rows == [("TS-1-RED", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        assert stack.sim.articles["TS-1-RED"].name == "Tröja Röd"
        customer = stack.sim.customers[sent.customer_id]
        assert (customer.name, customer.email) == ("Åsa Öberg", "asa@example.se")
        assert stack.fake.state.orders[order["uid"]]["externalOrderNumber"] == sent.order_no
        assert not [e for e in events if e.status == "dead"], [(e.kind, e.last_error) for e in events]
        # Writing the number fired Order/changed once; its job found the number there already.
        assert stack.fake.state.calls.count("Order.set") == 1


async def test_variants_are_exported_each_with_its_number_and_packages_are_refused(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        await control(stack, "articles", {"articleNumber": "SKO", "name": "Sko", "price": "500", "variants": [
            {"articleNumber": "SKO-40", "choices": ["40"], "stock": 2},
            {"articleNumber": "SKO-41", "choices": ["41"], "stock": 3, "price": "520"}]})
        await control(stack, "articles", {"articleNumber": "PAKET-1", "name": "Paket", "price": "900",
                                          "type": "package"})
        events = await stack.settle()
        assert stack.sim.articles["SKO-41"].price_ex_vat == Decimal("520")
        assert sum(stack.sim.articles["SKO-40"].in_stock.values()) == 2
        assert "PAKET-1" not in stack.sim.articles and "SKO" not in stack.sim.articles
        [refused] = [e for e in events if e.status == "dead"]
        assert "package" in refused.last_error


async def test_stock_is_set_on_the_variant_and_an_unknown_number_fails_alone(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        shoe = await control(stack, "articles", {"articleNumber": "SKO", "name": "Sko", "price": "500", "variants": [
            {"articleNumber": "SKO-40", "choices": ["40"], "stock": 2}]})
        plain = await control(stack, "articles", {"articleNumber": "MOSSA", "name": "Mössa", "price": "99", "stock": 1})
        await stack.settle()  # exported with the shop's stock, as new articles are
        results = await call(stack, "update_stock", levels=[
            StockLevel(article_no="SKO-40", available=17), StockLevel(article_no="NOPE", available=1),
            StockLevel(article_no="MOSSA", available=0)])
        assert [(r.key, r.ok) for r in results] == [("SKO-40", True), ("NOPE", False), ("MOSSA", True)]
        assert "NOPE" in results[1].error
        assert stack.fake.state.variants[shoe["variants"][0]["uid"]]["stock"] == 17
        assert stack.fake.state.articles[plain["uid"]]["stock"] == 0
        events = await stack.settle()
        # The shop echoes the stock writes as Article/changed; nothing goes to Specter for them.
        assert sum(stack.sim.articles["SKO-40"].in_stock.values()) == 2
        assert not [e for e in events if e.status == "dead"]


async def test_categories_are_created_once_and_products_placed_in_them(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        group = ArticleGroup(code="10", name="Kläder", parent_code="Herr")
        first = await call(stack, "upsert_category", group=group, active=False)
        again = await call(stack, "upsert_category", group=group, active=False)
        assert first == again and len(stack.fake.state.groups) == 2
        made = stack.fake.state.groups[int(first)]
        assert made["name"] == {"sv": "Kläder"} and made["hidden"] is True

        from gateway.model import Article

        new = Article(article_no="NY-1", name="Ny", price_ex_vat=Decimal("80.00"), vat_percent=Decimal(12))
        uid = await call(stack, "upsert_product", article=new, category_id=first, fields=frozenset({"name"}))
        created = stack.fake.state.articles[int(uid)]
        assert (created["articlegroup"], created["price"]["vatRate"], created["price"]["incVat"]) == (
            int(first), Decimal("0.12"), Decimal("89.60"))
        cheaper = Article(article_no="NY-1", name="Ignored", price_ex_vat=Decimal("70.00"), vat_percent=Decimal(12))
        assert await call(stack, "upsert_product", article=cheaper, category_id=None,
                          fields=frozenset({"price_ex_vat"})) == uid
        assert created["price"]["exVat"] == Decimal("70.00") and created["name"] == {"sv": "Ny"}


async def test_a_wrong_token_is_refused_and_nothing_is_stored(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        body = {"eventName": "Order/created", "uid": 1}
        for query in ("?token=wrong", ""):
            async with stack.http.post(stack.events_url + query, json=body) as resp:
                assert resp.status == 401, await resp.text()
        assert await stack.events() == []
        token = await stack.inbound_token()
        unknown = {"eventName": "Order/exploded", "uid": 1}
        async with stack.http.post(f"{stack.events_url}?token={token}", json=unknown) as resp:
            assert resp.status == 400 and "Order/exploded" in await resp.text()


async def test_an_order_in_another_currency_is_refused_naming_it(tmp_path):
    async with abicart_stack(tmp_path) as stack:
        item = await control(stack, "articles", {"articleNumber": "TS-1", "name": "T", "price": "100"})
        await control(
            stack,
            "orders",
            {"order": {"customer": CUSTOMER, "currency": "EUR", "items": [{"article": item["uid"], "quantity": 1}]}},
        )
        events = await stack.settle()
        assert stack.sim.orders == {}
        [refused] = [e for e in events if e.kind == "shop.order"]
        assert refused.status == "dead" and "EUR" in refused.last_error and "SEK" in refused.last_error
