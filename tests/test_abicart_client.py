"""The JSON-RPC client against the fake Abicart: calls, typed errors, auth, and the token kept out."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from adapters.abicart import plugin
from adapters.abicart.client import AbicartClient, AbicartError
from adapters.abicart.fake_shop.app import start_fake_abicart
from gateway.adapter import OrderStatusResult
from gateway.errors import PermanentError, TransientError
from gateway.model import OrderStatusUpdate
from gateway.settings import Tenant
from tests.gateway_process import free_port

TOKEN = "secret-abicart-token-42"


@pytest.fixture
async def fake():
    running = await start_fake_abicart(auth_token=TOKEN)
    yield running
    await running.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_articles_come_back_with_exact_prices_and_paging(fake, http):
    client = AbicartClient(fake.url, 4711, TOKEN, http)
    for n in range(5):
        fake.state.add_article({"articleNumber": f"A-{n}", "name": f"Art {n}", "price": "79.20", "stock": n})
    assert await client.count_articles() == 5
    pages = [page async for page in client.article_pages(2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    first = pages[0][0]
    assert first["price"]["exVat"] == Decimal("79.20") and first["price"]["incVat"] == Decimal("99.00")
    assert await client.get_article("999999") is None


async def test_order_items_given_as_uids_are_fetched_as_objects(fake, http):
    client = AbicartClient(fake.url, 4711, TOKEN, http)
    article = fake.state.add_article({"articleNumber": "TS-1", "name": "T", "price": "100"})
    order = fake.state.add_order({"items": [{"article": article["uid"], "quantity": 2}]})
    assert all(isinstance(i, int) for i in order["items"])
    data, items = await client.get_order(str(order["uid"]))
    assert [(i["articleNumber"], i["quantity"]) for i in items] == [("TS-1", 2)]
    assert data["costs"]["cart"]["exVat"] == Decimal(200)


async def test_json_rpc_errors_are_typed_permanent_errors(fake, http):
    client = AbicartClient(fake.url, 4711, TOKEN, http)
    with pytest.raises(AbicartError) as caught:
        await client.call("Article.frobnicate")
    assert caught.value.code == -32601 and isinstance(caught.value, PermanentError)
    with pytest.raises(AbicartError, match="no Article with uid 5"):
        await client.set_article("5", {"stock": 1})


async def test_a_wrong_token_is_refused_and_never_shown(fake, http):
    client = AbicartClient(fake.url, 4711, "wrong-token-xyz", http)
    with pytest.raises(AbicartError, match="Access denied") as caught:
        await client.count_articles()
    assert "wrong-token-xyz" not in str(caught.value) and "wrong-token-xyz" not in repr(client)


@pytest.mark.parametrize("status", [429, 500])
async def test_busy_or_broken_server_is_transient(fake, http, status):
    client = AbicartClient(fake.url, 4711, TOKEN, http)
    async with http.post(fake.base + "_control/faults", json={"status": status, "count": 1}) as resp:
        assert resp.status == 200
    with pytest.raises(TransientError, match=str(status)):
        await client.count_articles()
    assert await client.count_articles() == 0  # the next call goes through


async def test_an_unreachable_shop_is_transient_without_the_token(http):
    client = AbicartClient(f"http://127.0.0.1:{free_port()}/backend/jsonrpc/v1/", 4711, TOKEN, http)
    with pytest.raises(TransientError) as caught:
        await client.count_articles()
    assert TOKEN not in str(caught.value)


async def test_a_result_of_the_wrong_shape_is_a_clear_permanent_error(fake, http, monkeypatch):
    client = AbicartClient(fake.url, 4711, TOKEN, http)

    async def garbled(method: str, *params: object) -> object:
        return {"Article.list": {"0": "A-1"}, "Article.get": ["A-1"]}[method]

    monkeypatch.setattr(client, "call", garbled)
    with pytest.raises(PermanentError, match="Article.list: answered dict where a list of objects belongs"):
        await client.list_articles()
    with pytest.raises(PermanentError, match="Article.get: answered list where an object belongs"):
        await client.get_article("1")


async def test_an_order_shows_what_abicart_can_and_says_what_it_cannot(fake, http):
    shop = plugin.open_shop(tenant=Tenant(id="abi", platform="abicart", account_id="acct",
                                          shop={"webshop": 4711, "auth_token": TOKEN, "url": fake.url}), http=http)
    article = fake.state.add_article({"articleNumber": "TS-1", "name": "T", "price": "100"})
    order = fake.state.add_order({"items": [{"article": article["uid"], "quantity": 1}]})
    uid = str(order["uid"])

    async def change(shop_status: str, *tracking: str) -> OrderStatusResult:
        update = OrderStatusUpdate(specter_order_no="5001", delivered=bool(tracking), tracking_numbers=list(tracking),
                                   shop_status=shop_status)
        return await plugin.set_order_status(shop=shop, order_id=uid, update=update)

    answer = await change("on_hold", "PN1")
    assert answer.not_set == "on_hold: Abicart's API sets no order status but discarded (cancelled) and delivered " \
                            "(completed)"
    assert answer.tracking_added == ["PN1"] and not order["discarded"] and order["deliveryStatus"] == "undelivered"
    assert order["note"] == "Spårningsnummer (Specter): PN1"  # the shop owner's view; the customer has none

    answer = await change("completed", "PN1", "PN12")
    assert (answer.status, answer.tracking_added) == ("completed", ["PN12"])
    assert order["deliveryStatus"] == "delivered"
    assert order["note"] == "Spårningsnummer (Specter): PN1\nSpårningsnummer (Specter): PN12"

    sets = fake.state.calls.count("Order.set")
    answer = await change("completed", "PN12", "PN1")  # reported again: Order.set would fire Order/changed
    assert (answer.status, answer.tracking_added, answer.not_set) == ("", [], "")
    assert fake.state.calls.count("Order.set") == sets
