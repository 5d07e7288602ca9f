"""The JSON-RPC client against the fake Abicart: Abicart's documented errors as the gateway's
kinds of failure (credentials and rights stop, Abicart's own errors are retried, a refused field
is named by its pointer), paging, the "in" filter and its fallback, and the token kept out."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.abicart.client import AbicartClient
from adapters.abicart.errors import AbicartAccessError, AbicartBusy, AbicartError
from adapters.abicart.fake_shop.app import start_fake_abicart
from gateway.errors import PermanentError, TransientError
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


@pytest.fixture
def client(fake, http):
    return AbicartClient(fake.url, 4711, TOKEN, http)


async def control(http, fake, path: str, body: dict, method: str = "POST") -> None:
    async with http.request(method, fake.base + "_control/" + path, json=body) as resp:
        assert resp.status < 400, await resp.text()


async def test_articles_are_counted_and_listed_a_page_at_a_time(fake, client):
    for n in range(5):
        fake.state.add_article({"articleNumber": f"A-{n}", "name": {"sv": f"Art {n}"}})
    assert await client.count_articles() == 5
    pages = [page async for page in client.article_pages(2)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [a["articleNumber"] for p in pages for a in p] == [f"A-{n}" for n in range(5)]
    assert await client.get_article(999999) is None
    # Article.count takes the bare filter object, keyed by JSON Pointer.
    assert fake.state.requests[0] == {"method": "Article.count", "params": [{}], "error": None}


async def test_numbers_are_found_with_one_in_filter_or_one_equality_filter_each(fake, client, http):
    for n in range(3):
        fake.state.add_article({"articleNumber": f"A-{n}"})
    found = await client.articles_by_number(["A-0", "A-2", "NOPE"])
    assert sorted(a["articleNumber"] for a in found) == ["A-0", "A-2"]
    assert fake.state.calls.count("Article.list") == 1

    await control(http, fake, "forms", {"in_filter": False}, "PATCH")  # a shop that takes only documented conditions
    found = await client.articles_by_number(["A-0", "A-2", "NOPE"])
    assert sorted(a["articleNumber"] for a in found) == ["A-0", "A-2"]
    refused, *equal = [r for r in fake.state.requests if r["method"] == "Article.list"][1:]
    assert refused["error"] == -32602 and not client.in_filters
    assert sorted(r["params"][1]["filters"]["/articleNumber"] for r in equal) == ["A-0", "A-2", "NOPE"]


async def test_a_bad_token_stops_with_a_reason_naming_the_credentials(fake, http):
    client = AbicartClient(fake.url, 4711, "wrong-token-xyz", http)
    with pytest.raises(AbicartAccessError) as caught:
        await client.count_articles()
    error = caught.value
    assert (error.code, error.reason) == (1004, "credentials") and isinstance(error, PermanentError)
    assert "credentials" in str(error) and "auth_token" in str(error)
    assert "wrong-token-xyz" not in str(error) and "wrong-token-xyz" not in repr(client)
    with pytest.raises(AbicartAccessError, match="webshop id") as other_shop:
        await AbicartClient(fake.url, 5, TOKEN, http).count_articles()
    assert other_shop.value.code == 1002


async def test_missing_rights_stop_with_a_reason_naming_them(fake, client, http):
    await control(http, fake, "tokens", {"token": TOKEN, "classes": ["Article"]})
    assert await client.count_articles() == 0
    with pytest.raises(AbicartAccessError, match="lacks the rights") as caught:
        await client.listeners()
    assert (caught.value.code, caught.value.reason) == (1006, "rights")


@pytest.mark.parametrize("code", [-32000, -32603])
async def test_abicarts_own_errors_are_tried_again(fake, client, http, code):
    await control(http, fake, "faults", {"rpc_error": code, "count": 1})
    with pytest.raises(AbicartBusy) as caught:
        await client.count_articles()
    assert isinstance(caught.value, TransientError) and caught.value.code == code
    assert await client.count_articles() == 0


async def test_a_refused_field_is_named_by_its_pointer(fake, client):
    uid = fake.state.add_article({"articleNumber": "A-1"})["uid"]
    with pytest.raises(AbicartError) as caught:
        await client.set_article(uid, {"price": {"exVat": 80}, "campaignPrice": {"exVat": 70}})
    assert caught.value.code == -32602
    assert caught.value.pointers == ("/price/exVat", "/campaignPrice")
    assert "/campaignPrice: is not a property of Article" in str(caught.value)


async def test_an_unknown_method_is_a_permanent_error(client):
    with pytest.raises(AbicartError) as caught:
        await client.call("Article.frobnicate")
    assert caught.value.code == -32601 and isinstance(caught.value, PermanentError)


@pytest.mark.parametrize("status", [429, 500])
async def test_busy_or_broken_server_is_transient(fake, client, http, status):
    await control(http, fake, "faults", {"status": status, "count": 1})
    with pytest.raises(TransientError, match=str(status)):
        await client.count_articles()
    assert await client.count_articles() == 0  # the next call goes through


async def test_an_unreachable_shop_is_transient_without_the_token(http):
    client = AbicartClient(f"http://127.0.0.1:{free_port()}/backend/jsonrpc/v1/", 4711, TOKEN, http)
    with pytest.raises(TransientError) as caught:
        await client.count_articles()
    assert TOKEN not in str(caught.value)


async def test_a_result_of_the_wrong_shape_is_a_clear_permanent_error(client, monkeypatch):
    async def garbled(method: str, *params: object) -> object:
        return {"Article.list": {"0": "A-1"}, "Article.get": ["A-1"]}[method]

    monkeypatch.setattr(client, "call", garbled)
    with pytest.raises(PermanentError, match="Article.list: answered dict where a list of objects belongs"):
        await client.articles_by_number(["A-1"])
    with pytest.raises(PermanentError, match="Article.get: answered list where an object belongs"):
        await client.get_article(1)
