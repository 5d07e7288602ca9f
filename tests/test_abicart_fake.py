"""The fake Abicart takes only documented forms: every request the adapter makes is accepted, the
shapes the adapter used to send (written before Abicart's documentation was read) are refused
with error -32602 naming the field, listeners are one per event name and token, and an order
shows what Abicart's documented fields can of Specter's changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import aiohttp
import pytest

from adapters.abicart import plugin
from adapters.abicart.client import METHODS, AbicartClient
from adapters.abicart.errors import AbicartError
from adapters.abicart.fake_shop.app import FAKE, start_fake_abicart
from adapters.abicart.fake_shop.state import Token
from gateway.adapter import OrderStatusResult
from gateway.model import Article, ArticleGroup, OrderStatusUpdate, StockLevel
from gateway.settings import Tenant
from tests.gateway_process import free_port

TOKEN = "abicart-token-fake"
TOPICS = list(plugin.listeners.EVENT_NAMES)


@pytest.fixture
async def fake():
    running = await start_fake_abicart(auth_token=TOKEN)
    yield running
    await running.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def shop_of(fake, http) -> plugin.AbicartShop:
    tenant = Tenant(id="t1", platform="abicart", account_id="a", inbound_token="inbound-1",
                    shop={"webshop": 4711, "auth_token": TOKEN, "url": fake.url})
    return plugin.open_shop(tenant=tenant, http=http)


def stock_shop(fake) -> dict:
    """An admin's catalogue, order and customer, made in the documented forms."""
    state = fake.state
    shirt = state.add_article({"articleNumber": "TS-1", "name": {"sv": "Tröja"},
                               "price": {"regular": {"SEK": Decimal(125)}}, "stock": {"stock": 5}})
    shoe = state.add_article({"articleNumber": "SKO", "name": {"sv": "Sko"}, "price": {"regular": {"SEK": 500}}})
    size = state.add_choice(shoe, "Storlek", {"40": None, "41": Decimal(25)})
    v40 = state.add_variant(shoe, "SKO-40", 2, {shoe["choices"][0]: size["40"]})
    customer = state.add_customer({"address": {"firstName": "Åsa", "lastName": "Öberg"},
                                   "info": {"email": "asa@example.se"}})
    order = state.checkout({"customer": {"address": {"firstName": "Åsa"}, "info": {"email": "asa@example.se"}},
                            "items": [{"article": shirt["uid"], "quantity": 1},
                                      {"article": shoe["uid"], "variant": v40["uid"], "quantity": 1}]})
    return {"shirt": shirt, "shoe": shoe, "customer": customer, "order": order}


async def test_every_request_the_adapter_makes_is_in_a_documented_form(fake, http):
    made = stock_shop(fake)
    shop = shop_of(fake, http)
    url = f"http://127.0.0.1:{free_port()}/shops/t1/events"
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    await plugin.register_webhooks(shop=shop, url=url, topics=TOPICS)
    await plugin.register_webhooks(shop=shop, url=url.replace("/shops", "/gw/shops"), topics=TOPICS)  # moved
    fake.state.deactivate(next(iter(fake.state.listeners.values())))
    await plugin.changed_orders(shop=shop, since=since)  # re-creates it
    await plugin.changed_objects(shop=shop, since=since)
    assert await plugin.fetch_product(shop=shop, product_id=str(made["shoe"]["uid"]))
    assert [a async for a in plugin.iter_products(shop=shop, page_size=1)]
    assert await plugin.fetch_customer(shop=shop, customer_id=str(made["customer"]["uid"]))
    assert [c async for c in plugin.iter_customers(shop=shop, page_size=10)]
    order_id = str(made["order"]["uid"])
    assert await plugin.fetch_order(shop=shop, order_id=order_id)
    fake.state.forms.expand_items = False  # items as uids: fetched one by one
    assert await plugin.fetch_order(shop=shop, order_id=order_id)
    await plugin.update_stock(shop=shop, levels=[StockLevel(article_no="TS-1", available=3),
                                                 StockLevel(article_no="SKO-40", available=4)])
    assert await plugin.find_product(shop=shop, article_no="SKO-40")
    group = await plugin.upsert_category(shop=shop, group=ArticleGroup(code="G", name="Skor", parent_code="Herr"),
                                         active=True)
    every = frozenset(Article.__struct_fields__)
    new = Article(article_no="NY-1", name="Ny", price_ex_vat=Decimal(80), sale_price_ex_vat=Decimal(70),
                  vat_percent=Decimal(25), weight_kg=Decimal("0.2"), barcode="735", description="Text",
                  short_description="Kort", stock=2, published=False)
    await plugin.upsert_product(shop=shop, article=new, category_id=group, fields=every)
    await plugin.upsert_product(shop=shop, article=new, category_id=group, fields=every)
    await plugin.upsert_product(shop=shop, article=Article(article_no="SKO-40", stock=1), category_id=None,
                                fields=every)
    await plugin.set_specter_order_no(shop=shop, order_id=order_id, specter_order_no="5001")
    await plugin.set_order_status(shop=shop, order_id=order_id, update=OrderStatusUpdate(
        specter_order_no="5001", delivered=True, tracking_numbers=["PN1"]))

    refused = [(r["method"], r["error"]) for r in fake.state.requests if r["error"] is not None]
    assert refused == []
    assert METHODS <= set(fake.state.calls), METHODS - set(fake.state.calls)


OLD_SHAPES = [
    # Filters keyed by property name, not JSON Pointer; Article.count given a selection.
    ("Article.list", [["uid"], {"filters": {"articleNumber": ["TS-1"]}}], ["/filters/articleNumber"]),
    ("Article.count", [{"filters": {}}], ["/filters"]),
    ("Articlegroup.list", [["uid"], {"filters": {"parent": None}}], ["/filters/parent"]),
    # Article fields that do not exist.
    ("Article.get", ["{shirt}", ["uid", "campaignPrice", "barcode"]], ["/campaignPrice", "/barcode"]),
    # An Article's price is a Price object and its stock a Stock object.
    ("Article.set", ["{shirt}", {"price": {"exVat": 80, "vatRate": 0.25}}], ["/price/exVat", "/price/vatRate"]),
    ("Article.set", ["{shirt}", {"stock": 5}], ["/stock"]),
    ("Article.set", ["{shirt}", {"campaignPrice": {"exVat": 70}}], ["/campaignPrice"]),
    ("Article.set", ["{shirt}", {"name": "Tröja"}], ["/name"]),
    # A variant has no price, and no documented choices.
    ("ArticleVariant.set", ["{variant}", {"price": {"exVat": 80}}], ["/price"]),
    ("ArticleVariant.list", [["uid", "choices"], {"filters": {"/article": "{shoe}"}}], ["/choices"]),
    # Order fields that are not documented, and deliveryStatus "delivered".
    ("Order.get", ["{order}", ["uid", "discountInfo", "customerComment", "trackingNumber"]],
     ["/discountInfo", "/customerComment", "/trackingNumber"]),
    ("OrderItem.get", ["{item}", ["uid", "quantity"]], ["/quantity"]),
    ("Order.get", ["{order}", {"uid": True, "items": {"uid": True, "quantity": True}}], ["/items/quantity"]),
    ("Order.set", ["{order}", {"deliveryStatus": "delivered"}], ["/deliveryStatus"]),
    ("Order.set", ["{order}", {"trackingNumber": "PN1"}], ["/trackingNumber"]),
    # Addresses use address/postcode/town/company.
    ("Customer.set", ["{customer}", {"address": {"street": "Storgatan 1", "zipcode": "11122", "city": "X",
                                                 "companyName": "AB"}}],
     ["/address/street", "/address/zipcode", "/address/city", "/address/companyName"]),
]


@pytest.mark.parametrize(("method", "params", "pointers"), OLD_SHAPES, ids=[f"{m}-{p}" for m, _, p in OLD_SHAPES])
async def test_the_shapes_the_adapter_used_to_send_are_refused_naming_the_field(fake, http, method, params,
                                                                                 pointers):
    made = stock_shop(fake)
    uids = {"shirt": made["shirt"]["uid"], "shoe": made["shoe"]["uid"], "order": made["order"]["uid"],
            "item": made["order"]["items"][0], "customer": made["customer"]["uid"],
            "variant": fake.state.variants_of(made["shoe"]["uid"])[0]}

    def filled(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return uids[value[1:-1]]
        if isinstance(value, list):
            return [filled(v) for v in value]
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        return value

    client = AbicartClient(fake.url, 4711, TOKEN, http)
    with pytest.raises(AbicartError) as refused:
        await client.call(method, *filled(params))
    assert refused.value.code == -32602
    assert list(refused.value.pointers) == pointers


async def test_one_listener_per_event_name_and_token_and_an_inactive_one_calls_nobody(fake, http):
    fake.state.tokens["other-key"] = Token()
    mine, other = AbicartClient(fake.url, 4711, TOKEN, http), AbicartClient(fake.url, 4711, "other-key", http)
    first = await mine.create_listener("Order/created", "http://127.0.0.1:1/a")
    with pytest.raises(AbicartError, match="already has a listener for Order/created") as again:
        await mine.create_listener("Order/created", "http://127.0.0.1:1/b")
    assert again.value.pointers == ("/eventName",)
    await other.create_listener("Order/created", "http://127.0.0.1:1/c")  # another token's own
    assert [x["uid"] for x in await mine.listeners()] == [first["uid"]]
    with pytest.raises(AbicartError, match="not an event name of this shop"):
        await mine.create_listener("Order/exploded", "http://127.0.0.1:1/d")

    fake.state.deactivate(fake.state.listeners[first["uid"]])
    await fake.runner.app[FAKE].fire("Order/created", 1)
    assert [status for event, _, status in fake.state.fired] == [0]  # only the other token's listener

    # A listener whose calls keep failing goes inactive by itself: the second failure here, so the
    # third event calls nobody.
    fake.state.forms.deactivate_after = 2
    [other_listener] = [x for x in fake.state.listeners.values() if x["authToken"] == "other-key"]
    for _ in range(2):
        await fake.runner.app[FAKE].fire("Order/created", 1)
    assert other_listener["status"]["active"] is False and len(fake.state.fired) == 2


async def test_an_order_shows_what_abicart_can_and_says_what_it_cannot(fake, http):
    order = stock_shop(fake)["order"]
    shop = shop_of(fake, http)

    async def change(shop_status: str, *tracking: str) -> OrderStatusResult:
        update = OrderStatusUpdate(specter_order_no="5001", delivered=bool(tracking), tracking_numbers=list(tracking),
                                   shop_status=shop_status)
        return await plugin.set_order_status(shop=shop, order_id=str(order["uid"]), update=update)

    answer = await change("on_hold", "PN1")
    assert answer.not_set == "on_hold: Abicart's API sets no order status but discarded (cancelled) and sent " \
                             "(completed)"
    assert answer.tracking_added == ["PN1"] and not order["discarded"] and order["deliveryStatus"] == "unsent"
    assert order["note"] == "Spårningsnummer: PN1"  # the shop owner's view; the customer has none

    answer = await change("completed", "PN1", "PN12")
    assert (answer.status, answer.tracking_added) == ("completed", ["PN12"])
    assert order["deliveryStatus"] == "sent"
    assert order["note"] == "Spårningsnummer: PN1\nSpårningsnummer: PN12"

    sets = fake.state.calls.count("Order.set")
    answer = await change("completed", "PN12", "PN1")  # reported again: Order.set would fire Order/changed
    assert (answer.status, answer.tracking_added, answer.not_set) == ("", [], "")
    assert fake.state.calls.count("Order.set") == sets
    assert [r["error"] for r in fake.state.requests if r["method"] == "Order.set"] == [None, None]
