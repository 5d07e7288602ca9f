"""The Specter client against a tiny recording HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from gateway.errors import PermanentError, TransientError
from gateway.model import Address, Article, Customer
from gateway.settings import SpecterAccount
from gateway.specter import client as client_module
from gateway.specter.client import SpecterClient, read_with_recovery
from gateway.specter.documents import SpecterOrder, SpecterOrderRow
from gateway.specter.errors import AuthenticationError, DuplicateOrderError, OpenBatchError, SpecterTransientError
from gateway.specter.signing import EncodingProblem, sign

USER_KEY = "secret-user-key-1"
INTEGRATION_KEY = "secret-integration-key-2"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    content_type: str

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("ascii"), encoding="latin-1", keep_blank_values=True))


@dataclass
class FakeSpecter:
    """Answers each request with the next canned (status, body), recording what came."""

    answers: list[tuple[int, bytes]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    hang: asyncio.Event | None = None
    url: str = ""

    def answer(self, body: bytes | str, status: int = 200) -> None:
        self.answers.append((status, body.encode("latin-1") if isinstance(body, str) else body))

    async def handle(self, request: web.Request) -> web.Response:
        raw_query = request.raw_path.partition("?")[2]
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(parse_qsl(raw_query, encoding="latin-1", keep_blank_values=True)),
                await request.read(),
                request.headers.get("Content-Type", ""),
            )
        )
        if self.hang is not None:
            await self.hang.wait()
        status, body = self.answers.pop(0) if self.answers else (500, b"no answer prepared")
        return web.Response(status=status, body=body, content_type="text/plain", charset="iso-8859-1")


@pytest.fixture
async def specter():
    fake = FakeSpecter()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/api/"
    yield fake
    if fake.hang is not None:
        fake.hang.set()
    await runner.cleanup()


def make_account(url: str, version: int = 2) -> SpecterAccount:
    return SpecterAccount(
        id="acme",
        sbm_id=4711,
        api_version=version,
        api_user_id="api7" if version == 2 else "",
        user_key=USER_KEY,
        integration_key=INTEGRATION_KEY,
        base_url=url,
    )


@pytest.fixture
async def client(specter):
    c = SpecterClient(make_account(specter.url))
    yield c
    await c.close()


def key_for(value: str) -> str:
    return sign(4711, USER_KEY, INTEGRATION_KEY, value)


def make_order(**changes) -> SpecterOrder:
    fields = dict(
        customer_id="1001",
        external_order_no="WC-55",
        currency="SEK",
        language="sv",
        customer_reference="55",
        send_order_mail=True,
        send_order_mail_to_user=False,
    )
    return SpecterOrder(**(fields | changes))


def row(article_no: str, name: str, price: str, quantity: str = "1", **changes) -> SpecterOrderRow:
    return SpecterOrderRow(article_no=article_no, name=name, price_ex_vat=Decimal(price), quantity=Decimal(quantity),
                           vat_percent=Decimal(25), **changes)


# --- requests -------------------------------------------------------------------------------------


async def test_order_is_posted_to_putinfo_signed_with_the_customer_id(specter, client):
    specter.answer("1;88123;50017")
    order = make_order(
        pay_type="K",
        prepaid=True,
        published_comment="Lämna vid dörren",
        rows=[row("MUG-1", "Kaffemugg", "79.2", "2", comment="Röd"), row("FRAKT", "", "39", "1.5")],
    )
    receipt = await client.submit_order(order)
    assert (receipt.order_id, receipt.order_no) == ("88123", "50017")
    (seen,) = specter.seen
    assert (seen.method, seen.path) == ("POST", "/api/putInfo.asp")
    assert seen.query == {
        "action": "newOrderSubmit",
        "sbmId": "4711",
        "apiUserId": "api7",
        "key": key_for("1001"),
        "useXML": "1",
    }
    assert seen.content_type.startswith("application/x-www-form-urlencoded")
    assert "Lämna".encode("latin-1") not in seen.body and b"L%E4mna" in seen.body  # Latin-1, percent-encoded
    # Empty optional fields (webshop, stock site, payment reference, ...) are left out; a row's
    # article number and name are always sent.
    assert seen.form == {
        "customerId": "1001",
        "externalOrderNo": "WC-55",
        "currency": "SEK",
        "language": "sv",
        "customerOrderReference": "55",
        "sendOrderMail": "1",
        "sendOrderMailToUser": "0",
        "payTypeIdentifier": "K",
        "isPrepayment": "1",
        "publishedComment": "Lämna vid dörren",
        "articleNo_1": "MUG-1",
        "articleName_1": "Kaffemugg",
        "priceExclVAT_1": "79.200",
        "noOfItems_1": "2",
        "vatPercent_1": "25.000",
        "articleComment_1": "Röd",
        "articleNo_2": "FRAKT",
        "articleName_2": "",
        "priceExclVAT_2": "39.000",
        "noOfItems_2": "1.5",
        "vatPercent_2": "25.000",
    }


async def test_every_order_field_has_its_wire_name(specter, client):
    specter.answer("1;88124")
    await client.submit_order(
        make_order(
            webshop_id="2",
            stock_site_id="7",
            payment_reference="kl-abc-123",
            delivery_method="PN-1",
            internal_comment="Ring på",
            send_order_mail=False,
            rows=[row("MUG-1", "Mugg", "-10")],
        )
    )
    form = specter.seen[0].form
    assert (form["webshopId"], form["stocksiteid"], form["payTypeReference"]) == ("2", "7", "kl-abc-123")
    assert (form["externalDeliveryMethod"], form["internalComment"]) == ("PN-1", "Ring på")
    assert (form["sendOrderMail"], form["priceExclVAT_1"]) == ("0", "-10.000")
    assert "isPrepayment" not in form and "payTypeIdentifier" not in form


async def test_api_v1_account_sends_no_api_user(specter):
    client = SpecterClient(make_account(specter.url, version=1))
    specter.answer("1;Done")
    await client.ack_orders("B-1")
    await client.close()
    assert "apiUserId" not in specter.seen[0].query
    assert specter.seen[0].query["key"] == key_for("B-1")


async def test_customer_fields_and_signature(specter, client):
    specter.answer("1;3001")
    customer = Customer(
        first_name="Åsa",
        last_name="Öberg",
        company="Öberg Trä AB",
        org_no="556677-8899",
        email="asa@oberg.se",
        phone="08-123",
        address=Address(line1="Storgatan 1", zip_code="111 22", city="Stockholm", country_code="SE"),
        delivery_address=Address(
            line1="Lagervägen 9", city="Solna", country_code="SE", first_name="Per", last_name="Ek"
        ),
        language="sv",
    )
    customer_id = await client.submit_customer(customer, ignore_control_email=True, ignore_control_org_no=False)
    assert customer_id == "3001"
    seen = specter.seen[0]
    assert seen.query["action"] == "newCustomerSubmit"
    assert seen.query["key"] == key_for("Öberg Trä AB")
    form = seen.form
    assert form["name"] == "Öberg Trä AB" and form["customerOrganizationalForm"] == "C"
    assert (form["firstName"], form["surName"], form["contactPerson"]) == ("Åsa", "Öberg", "Åsa Öberg")
    address = (form["address"], form["zipCodeEng"], form["city"], form["countryCode"])
    assert address == ("Storgatan 1", "111 22", "Stockholm", "SE")
    delivery = (form["deliveryAddress"], form["deliveryCity"], form["deliveryAttention"])
    assert delivery == ("Lagervägen 9", "Solna", "Per Ek")
    contact = (form["emailAddress"], form["phoneNo"], form["currency"], form["language"])
    assert contact == ("asa@oberg.se", "08-123", "SEK", "sv")
    assert (form["ignoreControlEmail"], form["ignoreControlOrgNo"], form["forceCustomerUpdate"]) == ("1", "0", "0")
    assert "mobileNo" not in form  # empty fields are left out


async def test_person_customer_signed_with_first_and_last_name(specter, client):
    specter.answer("1;3002")
    await client.submit_customer(
        Customer(first_name="Åsa", last_name="Öberg", email="a@b.se"),
        ignore_control_email=False,
        ignore_control_org_no=False,
    )
    seen = specter.seen[0]
    assert seen.query["key"] == key_for("Åsa Öberg")
    assert seen.form["customerOrganizationalForm"] == "P" and "name" not in seen.form


async def test_articles_are_indexed_and_stock_created_only_when_asked(specter, client):
    specter.answer("1;0")
    specter.answer("1;0")
    articles = [
        Article(article_no="MUG-1", name="Mugg", price_ex_vat=Decimal("80"), vat_percent=Decimal(25),
                weight_kg=Decimal("0.3"), stock=7),
        Article(article_no="MUG-2", name="Mugg röd", price_ex_vat=Decimal("80.5")),
    ]
    await client.submit_articles(articles, force_update=True, create_stock=True, webshop_id="2")
    await client.submit_articles(articles[:1], force_update=False, create_stock=False)
    first, second = specter.seen
    assert first.query["action"] == "newArticleSubmit" and first.query["key"] == key_for("MUG-1")
    assert first.form == {
        "webshopId": "2",
        "forceArticleUpdate": "1",
        "articleNo_1": "MUG-1",
        "name_1": "Mugg",
        "priceExclVAT_1": "80.00",
        "vatPercent_1": "25.00",
        "productWeight_1": "0.300",
        "createArticleStock_1": "1",
        "noItemsInStock_1": "7",
        "articleNo_2": "MUG-2",
        "name_2": "Mugg röd",
        "priceExclVAT_2": "80.50",
    }
    assert "createArticleStock_1" not in second.form and "forceArticleUpdate" not in second.form


async def test_more_than_100_articles_are_refused_before_sending(specter, client):
    with pytest.raises(ValueError, match="100"):
        too_many = [Article(article_no=f"A{i}") for i in range(101)]
        await client.submit_articles(too_many, force_update=False, create_stock=False)
    assert specter.seen == []


async def test_unencodable_article_name_names_the_article_and_field_and_sends_nothing(specter, client):
    articles = [Article(article_no="A1", name="Mugg"), Article(article_no="A2", name="Tea"),
                Article(article_no="A3", name="Pris €")]
    with pytest.raises(EncodingProblem) as info:
        await client.submit_articles(articles, force_update=False, create_stock=False)
    assert isinstance(info.value, PermanentError)
    assert (info.value.subject, info.value.field) == ("article A3", "name")
    assert str(info.value) == "article A3: name 'Pris €' has a character Specter cannot store (Latin-1): '€'"
    assert specter.seen == []


async def test_unencodable_customer_name_names_the_customer_and_field_not_the_signature(specter, client):
    customer = Customer(shop_id="17", first_name="Åsa", last_name="Öberg 😀", email="asa@oberg.se")
    with pytest.raises(EncodingProblem) as info:
        await client.submit_customer(customer, ignore_control_email=False, ignore_control_org_no=False)
    assert str(info.value) == "customer 17: last name 'Öberg 😀' has a character Specter cannot store (Latin-1): '😀'"
    guest = Customer(company="Kaffe ☕ AB", email="kaffe@example.se")
    with pytest.raises(EncodingProblem) as info:
        await client.submit_customer(guest, ignore_control_email=False, ignore_control_org_no=False)
    assert str(info.value).startswith("guest customer kaffe@example.se: company 'Kaffe ☕ AB' has a character")
    assert specter.seen == []


async def test_unencodable_order_row_name_names_the_order_row_and_field(specter, client):
    order = make_order(rows=[row("MUG-1", "Mugg", "80"), row("TEA-1", "Tea 茶", "40")])
    with pytest.raises(EncodingProblem) as info:
        await client.submit_order(order)
    assert str(info.value) == "order WC-55 row 2: name 'Tea 茶' has a character Specter cannot store (Latin-1): '茶'"
    assert specter.seen == []


async def test_batch_reads_are_gets_on_getinfo(specter, client):
    specter.answer("101;MUG-1;12;B1\r102;MUG-2;noItemsAvailable;B1")
    specter.answer("1")
    changes = await client.read_stock_changes("B1")
    await client.clear_article_batch("B1")
    read, clear = specter.seen
    assert (read.method, read.path) == ("GET", "/api/getInfo.asp")
    assert read.query == {
        "action": "getArticleExternalNeedUpdate",
        "sbmId": "4711",
        "apiUserId": "api7",
        "key": key_for("B1"),
        "useXML": "1",
        "batchNo": "B1",
    }
    assert [(c.article_no, c.available) for c in changes] == [("MUG-1", 12), ("MUG-2", 0)]
    assert clear.query["action"] == "clearArticleBatch" and clear.query["clearSelf"] == "1"


async def test_multi_site_stock_read_asks_for_xml_per_site(specter, client):
    specter.answer(
        "<root><stockChanges><stock stockSiteId='1'><articles><article><articleNo>MUG-1</articleNo>"
        "<noItemsAv>2</noItemsAv>"
        "</article></articles></stock><stock stockSiteId='2'><articles><article><articleNo>MUG-1</articleNo>"
        "<noItemsAv>3</noItemsAv></article></articles></stock></stockChanges></root>"
    )
    changes = await client.read_stock_changes("B2", multiple_sites=True)
    assert specter.seen[0].query["getMultipleStocksites"] == "1" and specter.seen[0].query["useXML"] == "2"
    assert [(c.stock_site, c.available) for c in changes] == [("1", 2), ("2", 3)]


async def test_article_infos_and_order_changes(specter, client):
    specter.answer(
        "<root><articles><article priceExclVat='10,50'><articleNo>A1</articleNo><name>Ost</name></article></articles>"
        "<responseMaxLimit>1</responseMaxLimit></root>"
    )
    specter.answer(
        "<root><orders><order orderNo='9'><orderstatus deliveryStatus='D' statusId='3'/></order></orders></root>"
    )
    page = await client.read_article_infos("B3", limit=1)
    orders = await client.read_order_changes("B4")
    assert page.more and page.articles[0].price_ex_vat == Decimal("10.50")
    assert specter.seen[0].query["responseMaxLimit"] == "1"
    assert orders.updates[0].delivered and not orders.more
    assert specter.seen[1].query["action"] == "getOrdersExternalNeedUpdate"


async def test_check_account_settings_signs_todays_date(specter, client, monkeypatch):
    monkeypatch.setattr(client_module, "today", lambda: "2024-03-05")
    specter.answer("1;OK")
    await client.check_account_settings(
        stock_url="https://gw.example/cb/t1/stock", article_url="", order_url="https://gw.example/cb/t1/order",
        remove_order_url="https://gw.example/cb/t1/remove?orderNo=$orderNo", invoice_url="",
    )
    seen = specter.seen[0]
    assert seen.method == "GET" and seen.query["date"] == "2024-03-05"
    assert seen.query["key"] == key_for("2024-03-05")
    assert seen.query["actionRemoveOrder"] == "https://gw.example/cb/t1/remove?orderNo=$orderNo"
    assert seen.query["actionArticleChange"] == ""  # empty turns the trigger off


async def test_deletes_and_delivery_and_invoice(specter, client):
    for _ in range(4):
        specter.answer("1;77")
    await client.delete_article("MUG-1")
    await client.delete_order("WC-55")
    assert await client.submit_delivery("88123", {"trackingNo": "T1"}) == "77"
    assert await client.submit_invoice("88123", {}) == "77"
    art, order, delivery, invoice = specter.seen
    assert (art.query["action"], art.form) == ("deleteArticle", {"articleNo": "MUG-1"})
    assert art.query["key"] == key_for("MUG-1")
    assert (order.query["action"], order.form) == ("deleteOrder", {"externalOrderNo": "WC-55"})
    assert order.query["key"] == key_for("WC-55")
    assert delivery.form == {"orderId": "88123", "trackingNo": "T1"} and delivery.query["key"] == key_for("88123")
    assert invoice.query["action"] == "newInvoiceSubmit" and invoice.method == "POST"


# --- errors ---------------------------------------------------------------------------------------


async def test_error_99_names_the_open_batch(specter, client):
    specter.answer("0;99;Batch 'OLD-3' is still open")
    with pytest.raises(OpenBatchError) as info:
        await client.read_stock_changes("NEW-4")
    assert info.value.open_batch_no == "OLD-3"


async def test_open_batch_recovery_reads_the_old_batch(specter, client):
    specter.answer(
        "<root><APIresponse><result>0</result><code>99</code><message>Open: 'OLD-3'</message></APIresponse></root>"
    )
    specter.answer("<root><orders><order orderNo='5'><orderstatus statusId='5'/></order></orders></root>")
    page, batch_no = await read_with_recovery(client.read_order_changes, "NEW-4")
    assert batch_no == "OLD-3"
    assert page.updates[0].deleted
    assert [s.query["batchNo"] for s in specter.seen] == ["NEW-4", "OLD-3"]
    assert specter.seen[1].query["key"] == key_for("OLD-3")


async def test_recovery_works_for_multi_site_stock(specter, client):
    specter.answer("<root><APIresponse><result>0</result><code>99</code><message>'OLD'</message></APIresponse></root>")
    specter.answer(
        "<root><stockChanges><stock stockSiteId='1'><articles><article articleNo='X' noItemsAv='1'/></articles>"
        "</stock></stockChanges></root>"
    )
    per_site = functools.partial(client.read_stock_changes, multiple_sites=True)
    changes, batch_no = await read_with_recovery(per_site, "NEW")
    assert batch_no == "OLD" and changes[0].article_no == "X"


async def test_without_an_open_batch_the_new_batch_is_read(specter, client):
    specter.answer("")
    changes, batch_no = await read_with_recovery(client.read_stock_changes, "NEW")
    assert (changes, batch_no) == ([], "NEW")


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_throttling_are_transient(specter, client, status):
    specter.answer("busy", status=status)
    with pytest.raises(SpecterTransientError) as info:
        await client.ack_stock("B1")
    assert isinstance(info.value, TransientError) and str(status) in info.value.code


async def test_proxy_html_page_is_transient(specter, client):
    specter.answer("<html><body><h1>502 Proxy Error</h1></body></html>")
    with pytest.raises(TransientError):
        await client.read_order_changes("B1")


async def test_timeout_is_transient(specter):
    specter.hang = asyncio.Event()
    client = SpecterClient(make_account(specter.url), timeout=0.2)
    with pytest.raises(SpecterTransientError) as info:
        await client.ack_orders("B1")
    await client.close()
    assert info.value.code == "timeout"


async def test_connection_refused_is_transient(specter):
    # A port nobody listens on: take one from a server and close it.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = SpecterClient(make_account(f"http://127.0.0.1:{port}/"))
    with pytest.raises(SpecterTransientError) as info:
        await client.ack_orders("B1")
    await client.close()
    assert info.value.code == "connection"


async def test_result_0_is_permanent(specter, client):
    specter.answer("0;12;Article number missing")
    with pytest.raises(PermanentError) as info:
        await client.submit_articles([Article(article_no="A1")], force_update=False, create_stock=False)
    assert info.value.code == "12" and "Article number missing" in str(info.value)


async def test_duplicate_order(specter, client):
    specter.answer("0;3;An order with externalOrderNo WC-55 already exists (orderId 88123)")
    with pytest.raises(DuplicateOrderError) as info:
        await client.submit_order(make_order(customer_id="1"))
    assert info.value.existing_order_id == "88123"
    assert isinstance(info.value, PermanentError)


async def test_no_key_in_repr_or_errors(specter, client):
    specter.answer(f"0;1;Invalid key {INTEGRATION_KEY}")
    with pytest.raises(AuthenticationError) as info:
        await client.ack_stock("B1")
    specter.answer("nope", status=401)
    with pytest.raises(AuthenticationError) as info401:
        await client.ack_stock("B1")
    signature = key_for("B1")
    for text in (repr(client), str(client), str(info.value), repr(info.value), str(info401.value)):
        assert USER_KEY not in text and INTEGRATION_KEY not in text and signature not in text


async def test_close_leaves_a_shared_session_open(specter):
    async with aiohttp.ClientSession() as session:
        client = SpecterClient(make_account(specter.url), session)
        specter.answer("1")
        await client.ack_stock("B1")
        await client.close()
        assert not session.closed
