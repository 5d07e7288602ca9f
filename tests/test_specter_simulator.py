"""The Specter simulator behaves as specter-api.md describes, over real HTTP with real keys."""

from __future__ import annotations

import asyncio
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from gateway.simulators.specter import RunningSimulator, SimAccount, start_simulator
from gateway.specter.signing import sign

ACC = SimAccount.parse("4711:apiuser:userkey:integrationkey")
V1 = SimAccount.parse("4712::md5key1:md5key2")
TODAY = dt.date.today().isoformat()


class Api:
    """A minimal Specter caller for the tests: signs, encodes Latin-1, decodes the answer."""

    def __init__(self, http: aiohttp.ClientSession, sim: RunningSimulator, account: SimAccount = ACC):
        self.http, self.sim, self.account = http, sim, account

    def _query(self, action: str, signed: str, query: dict[str, str], key: str | None) -> dict[str, str]:
        a = self.account
        q = {"Action": action, "sbmId": str(a.sbm_id), "useXML": "1"}
        if a.api_user_id:
            q["apiUserId"] = a.api_user_id
        q["key"] = key if key is not None else sign(a.sbm_id, a.user_key, a.integration_key, signed)
        return {**q, **query}

    async def get(self, action: str, signed: str, key: str | None = None, **query: str) -> str:
        url = self.sim.url + "getInfo.asp?" + urlencode(self._query(action, signed, query, key), encoding="latin-1")
        async with self.http.get(url) as r:
            assert r.status == 200
            return (await r.read()).decode("latin-1")

    async def put(
        self, action: str, signed: str, form: dict[str, str], key: str | None = None, **query: str
    ) -> str:
        url = self.sim.url + "putInfo.asp?" + urlencode(self._query(action, signed, query, key), encoding="latin-1")
        body = urlencode(form, encoding="latin-1").encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with self.http.post(url, data=body, headers=headers) as r:
            assert r.status == 200
            return (await r.read()).decode("latin-1")

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        url = f"{self.sim.url}_control/{path}"
        async with self.http.request(method, url, json=json) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    # Shortcuts for the common steps.
    async def customer(self, email: str, org_no: str = "", first: str = "Eva", last: str = "Ek", **extra: str) -> str:
        form = {"firstName": first, "surName": last, "emailAddress": email, "orgNo": org_no, **extra}
        answer = await self.put("newCustomerSubmit", f"{first} {last}", form)
        assert answer.startswith("1;"), answer
        return answer.split(";")[1]

    async def order(self, customer_id: str, ext: str, rows: list[tuple[str, int]], **extra: str) -> str:
        form = {"customerId": customer_id, "externalOrderNo": ext, **extra}
        for n, (article_no, qty) in enumerate(rows, 1):
            form |= {f"articleNo_{n}": article_no, f"noOfItems_{n}": str(qty), f"priceExclVAT_{n}": "100.000"}
        return await self.put("newOrderSubmit", customer_id, form)

    async def read_stock(self, batch_no: str, **query: str) -> str:
        return await self.get("getArticleExternalNeedUpdate", batch_no, batchNo=batch_no, **query)

    async def ack_stock(self, batch_no: str) -> str:
        return await self.get("updateArticlesFromBatch", batch_no, batchNo=batch_no)

    async def stock(self, article_no: str, in_stock: int, site: str = "1") -> None:
        await self.control("POST", f"{ACC.sbm_id}/stock", {"articleNo": article_no, "site": site, "inStock": in_stock})

    async def flags(self) -> dict[str, list[str]]:
        return await self.control("GET", f"{ACC.sbm_id}/flags")


def stock_lines(answer: str) -> dict[str, str]:
    """articleNo -> amount from the CR-separated text answer."""
    return {line.split(";")[1]: line.split(";")[2] for line in answer.split("\r") if line}


def xml(answer: str) -> ET.Element:
    return ET.fromstring(answer.encode("latin-1"))


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator([ACC, V1])
    yield running
    await running.stop()


@pytest.fixture
async def api(sim: RunningSimulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, sim)


@pytest.fixture
async def shirt(api: Api) -> str:
    """An article SHIRT-1 with 10 in stock on site 1, flags cleared."""
    await api.control("POST", f"{ACC.sbm_id}/articles", {"articleNo": "SHIRT-1", "name": "Shirt", "stock": {"1": 10}})
    await api.read_stock("setup")
    await api.ack_stock("setup")
    await api.get("getArticleInfoExternalNeedUpdate", "setup-i", batchNo="setup-i", useXML="2")
    await api.get("updateArticleInfosFromBatch", "setup-i", batchNo="setup-i")
    assert await api.flags() == {"stock": [], "articleInfo": [], "orders": []}
    return "SHIRT-1"


# -- authentication ------------------------------------------------------------------------------

GET_ACTIONS = [
    "checkAccountSettings",
    "getArticleExternalNeedUpdate",
    "updateArticlesFromBatch",
    "clearArticleBatch",
    "getArticleInfoExternalNeedUpdate",
    "updateArticleInfosFromBatch",
    "getOrdersExternalNeedUpdate",
    "updateOrdersFromBatch",
    "deleteArticle",
    "deleteOrder",
    "newDeliverySubmit",
    "newInvoiceSubmit",
]
PUT_ACTIONS = ["newCustomerSubmit", "newArticleSubmit", "newOrderSubmit", "deleteArticle", "deleteOrder"]


@pytest.mark.parametrize("action", GET_ACTIONS)
async def test_a_wrong_key_is_refused_on_every_read(api: Api, action: str) -> None:
    answer = await api.get(action, "", key="0" * 32, batchNo="B1", date=TODAY, orderId="5001", articleNo="X")
    assert answer == "0;1;wrong key"


@pytest.mark.parametrize("action", PUT_ACTIONS)
async def test_a_wrong_key_is_refused_on_every_write(api: Api, action: str) -> None:
    form = {"firstName": "A", "surName": "B", "emailAddress": "a@b.se", "articleNo_1": "X", "customerId": "1"}
    answer = await api.put(action, "", form, key="0" * 32)
    assert answer == "0;1;wrong key"
    assert (await api.control("GET", f"{ACC.sbm_id}/customers")) == []


async def test_a_key_signing_another_value_is_refused(api: Api, shirt: str) -> None:
    # Signed for batch B1 but asking for B2: the key must sign the batch number actually sent.
    a = ACC
    key = sign(a.sbm_id, a.user_key, a.integration_key, "B1")
    assert await api.get("getArticleExternalNeedUpdate", "", key=key, batchNo="B2") == "0;1;wrong key"


async def test_unknown_account_and_wrong_api_user_are_refused(api: Api) -> None:
    wrong_user = Api(api.http, api.sim, SimAccount(ACC.sbm_id, "other", ACC.user_key, ACC.integration_key))
    assert await wrong_user.get("checkAccountSettings", TODAY, date=TODAY) == "0;1;wrong apiUserId"
    stranger = Api(api.http, api.sim, SimAccount(999, "apiuser", "userkey", "integrationkey"))
    assert (await stranger.get("checkAccountSettings", TODAY, date=TODAY)).startswith("0;1;unknown sbmId")


async def test_check_account_settings_needs_todays_date(api: Api) -> None:
    assert await api.get("checkAccountSettings", TODAY, date=TODAY) == f"1;{ACC.sbm_id}"
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert (await api.get("checkAccountSettings", yesterday, date=yesterday)).startswith("0;1;date must be today")


async def test_api_v1_account_signs_with_md5_keys_and_sends_no_api_user(api: Api) -> None:
    v1 = Api(api.http, api.sim, V1)
    assert await v1.get("checkAccountSettings", TODAY, date=TODAY) == f"1;{V1.sbm_id}"
    assert await v1.get("checkAccountSettings", TODAY, key="f" * 32, date=TODAY) == "0;1;wrong key"


async def test_unknown_action_and_action_spelling(api: Api) -> None:
    assert (await api.get("fetchEverything", "x")).startswith("0;4;unknown action")
    # The action name and its value are case-insensitive.
    url = api.sim.url + "getinfo.asp?" + urlencode(
        {"ACTION": "CHECKACCOUNTSETTINGS", "sbmId": ACC.sbm_id, "apiUserId": "apiuser", "date": TODAY,
         "key": sign(ACC.sbm_id, ACC.user_key, ACC.integration_key, TODAY)}
    )
    async with api.http.get(url) as r:
        assert await r.text() == f"1;{ACC.sbm_id}"


async def test_errors_come_as_xml_when_asked(api: Api) -> None:
    root = xml(await api.get("checkAccountSettings", TODAY, key="0" * 32, date=TODAY, useXML="2"))
    assert (root.findtext("result"), root.findtext("code"), root.findtext("message")) == ("0", "1", "wrong key")


# -- customers -----------------------------------------------------------------------------------

SAME, OTHER = "same", "other"


@pytest.mark.parametrize(
    ("flags", "email", "org_no", "matched"),
    [
        ({}, SAME, OTHER, True),  # e-mail matches
        ({}, OTHER, SAME, True),  # number matches
        ({}, OTHER, OTHER, False),
        ({"ignoreControlEmail": "1"}, SAME, OTHER, False),
        ({"ignoreControlEmail": "1"}, OTHER, SAME, True),
        ({"ignoreControlOrgNo": "1"}, OTHER, SAME, False),
        ({"ignoreControlOrgNo": "1"}, SAME, OTHER, True),
        ({"ignoreControlEmail": "1", "ignoreControlOrgNo": "1"}, SAME, SAME, False),
    ],
)
async def test_customer_matching(api: Api, flags: dict[str, str], email: str, org_no: str, matched: bool) -> None:
    first = await api.customer("eva@ek.se", "19800101-1234", **flags)
    second = await api.customer(
        "eva@ek.se" if email == SAME else "other@ek.se",
        "19800101-1234" if org_no == SAME else "19900202-5678",
        last="Lind",
        **flags,
    )
    assert (first == second) is matched
    customers = await api.control("GET", f"{ACC.sbm_id}/customers")
    assert len(customers) == (1 if matched else 2)
    if matched:  # the match is updated with what was sent
        assert customers[0]["name"] == "Eva Lind"


@pytest.mark.parametrize(
    ("field", "limit"),
    [("name", 100), ("emailAddress", 100), ("firstName", 50), ("surName", 50), ("orgNo", 20), ("vatNo", 30),
     ("phoneNo", 50), ("mobileNo", 50)],
)
async def test_customer_limits_name_the_field(api: Api, field: str, limit: int) -> None:
    form = {"firstName": "Eva", "surName": "Ek", "emailAddress": "eva@ek.se", field: "x" * (limit + 1)}
    signed = form["name"] if field == "name" else f"{form['firstName']} {form['surName']}"
    assert await api.put("newCustomerSubmit", signed, form) == f"0;5;{field}: longer than {limit} characters"
    form[field] = "x" * limit
    signed = form["name"] if field == "name" else f"{form['firstName']} {form['surName']}"
    assert (await api.put("newCustomerSubmit", signed, form)).startswith("1;")


async def test_customer_needs_an_email(api: Api) -> None:
    answer = await api.put("newCustomerSubmit", "Eva Ek", {"firstName": "Eva", "surName": "Ek"})
    assert answer == "0;2;emailAddress is required"


async def test_company_customer_signs_with_company_name(api: Api) -> None:
    form = {"name": "Ek AB", "firstName": "Eva", "surName": "Ek", "emailAddress": "info@ek.se"}
    assert await api.put("newCustomerSubmit", "Eva Ek", form) == "0;1;wrong key"
    assert (await api.put("newCustomerSubmit", "Ek AB", form)).startswith("1;")


async def test_latin1_names_are_stored_and_answered_in_latin1(api: Api, sim: RunningSimulator) -> None:
    await api.customer("asa@oberg.se", first="Åsa", last="Öberg")
    customers = await api.control("GET", f"{ACC.sbm_id}/customers")
    assert customers[0]["name"] == "Åsa Öberg"
    assert customers[0]["fields"]["firstName"] == "Åsa"

    await api.put("newArticleSubmit", "TROJA-1", {"articleNo_1": "TROJA-1", "name_1": "Blå tröja"})
    await api.control("PATCH", f"{ACC.sbm_id}/articles/TROJA-1", {"priceExclVat": "199.00"})
    url = sim.url + "getInfo.asp?" + urlencode(
        api._query("getArticleInfoExternalNeedUpdate", "B1", {"batchNo": "B1", "useXML": "2"}, None)
    )
    async with api.http.get(url) as r:
        assert r.headers["Content-Type"] == "text/xml; charset=ISO-8859-1"
        raw = await r.read()
    assert "<name>Blå tröja</name>".encode("latin-1") in raw
    assert ET.fromstring(raw).findtext("articles/article/name") == "Blå tröja"


# -- articles ------------------------------------------------------------------------------------


async def test_article_is_created_with_initial_stock_and_not_updated_without_force(api: Api) -> None:
    form = {"articleNo_1": "CAP-1", "name_1": "Cap", "priceExclVAT_1": "80.00", "createArticleStock_1": "1",
            "noItemsInStock_1": "12", "articleNo_2": "CAP-2", "name_2": "Cap 2", "noItemsInStock_2": "5"}
    answer = await api.put("newArticleSubmit", "CAP-1", form)
    first_id, ids = answer.split(";")[1:]
    assert ids.split(",")[0] == first_id and len(ids.split(",")) == 2
    art = await api.control("GET", f"{ACC.sbm_id}/articles/CAP-1")
    assert (art["name"], art["price_ex_vat"], art["available"]) == ("Cap", "80.00", {"1": 12})
    # Without createArticleStock the stock sent is not taken.
    assert (await api.control("GET", f"{ACC.sbm_id}/articles/CAP-2"))["available"] == {"1": 0}

    changed = {"articleNo_1": "CAP-1", "name_1": "New cap", "createArticleStock_1": "1", "noItemsInStock_1": "99"}
    assert await api.put("newArticleSubmit", "CAP-1", changed) == f"1;{first_id};{first_id}"
    art = await api.control("GET", f"{ACC.sbm_id}/articles/CAP-1")
    assert art["name"] == "Cap"  # left untouched

    await api.put("newArticleSubmit", "CAP-1", {**changed, "forceArticleUpdate": "1"})
    art = await api.control("GET", f"{ACC.sbm_id}/articles/CAP-1")
    assert art["name"] == "New cap"
    assert art["available"] == {"1": 12}  # initial stock only for an article new to Specter


async def test_more_than_100_articles_are_refused(api: Api) -> None:
    form = {f"articleNo_{n}": f"A{n}" for n in range(1, 102)}
    assert (await api.put("newArticleSubmit", "A1", form)).startswith("0;7;")
    del form["articleNo_101"]
    assert (await api.put("newArticleSubmit", "A1", form)).startswith("1;")
    assert len(await api.control("GET", f"{ACC.sbm_id}/articles")) == 100


@pytest.mark.parametrize(("article_no", "shown"), [("TRÖJA-1", "'Ö'"), ("A B", "space"), ("A,B", "','"),
                                                    ("50%", "'%'"), ("X#1", "'#'")])
async def test_bad_article_numbers_are_refused_naming_the_character(api: Api, article_no: str, shown: str) -> None:
    form = {"articleNo_1": "OK-1", "articleNo_2": article_no}
    answer = await api.put("newArticleSubmit", "OK-1", form)
    assert answer.startswith("0;5;articleNo_2:") and shown in answer
    assert await api.control("GET", f"{ACC.sbm_id}/articles") == []  # nothing of the request was stored


async def test_article_name_longer_than_140_is_refused(api: Api) -> None:
    answer = await api.put("newArticleSubmit", "N-1", {"articleNo_1": "N-1", "name_1": "n" * 141})
    assert answer == "0;5;name_1: longer than 140 characters"


async def test_delete_article(api: Api, shirt: str) -> None:
    assert (await api.put("deleteArticle", shirt, {"articleNo": shirt})).startswith("1;")
    assert await api.control("GET", f"{ACC.sbm_id}/articles") == []
    assert (await api.put("deleteArticle", shirt, {"articleNo": shirt})).startswith("0;6;")


# -- orders --------------------------------------------------------------------------------------


async def test_duplicate_external_order_no_is_refused_unless_ignored(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    first = await api.order(cid, "WC-100", [(shirt, 1)])
    order_id, order_no = first.split(";")[1:]
    assert order_id != order_no
    duplicate = await api.order(cid, "WC-100", [(shirt, 1)])
    assert duplicate.startswith("0;3;") and order_id in duplicate
    again = await api.order(cid, "WC-100", [(shirt, 1)], ignoreExternalOrderNoControl="1")
    assert again.startswith("1;") and again.split(";")[1] != order_id


async def test_order_keeps_what_was_sent(api: Api, shirt: str) -> None:
    await api.control("POST", f"{ACC.sbm_id}/service-articles", {"articleNo": "FRAKT"})
    cid = await api.customer("eva@ek.se")
    answer = await api.order(
        cid, "WC-7", [(shirt, 2), ("FRAKT", 1)], payTypeIdentifier="KG", payTypeReference="klarna-123",
        externalDeliveryMethod="flat_rate:1", sendOrderMail="1", webshopId="3",
    )
    order = await api.control("GET", f"{ACC.sbm_id}/orders/{answer.split(';')[2]}")
    assert order["fields"]["payTypeIdentifier"] == "KG"
    assert order["fields"]["payTypeReference"] == "klarna-123"
    assert order["fields"]["externalDeliveryMethod"] == "flat_rate:1"
    assert [(r["article_no"], r["quantity"]) for r in order["rows"]] == [(shirt, "2"), ("FRAKT", "1")]
    # The service article keeps no stock; only the shirt is reserved.
    assert (await api.flags())["stock"] == [shirt]


async def test_order_rows_must_name_known_articles(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    answer = await api.order(cid, "WC-8", [(shirt, 1), ("NOPE", 1)])
    assert answer == "0;6;articleNo_2: article 'NOPE' does not exist"
    assert (await api.order("424242", "WC-9", [(shirt, 1)])).startswith("0;6;customerId")


async def test_order_lowers_available_stock_and_flags_it(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    await api.order(cid, "WC-1", [(shirt, 3)])
    assert (await api.flags())["stock"] == [shirt]
    assert stock_lines(await api.read_stock("B1")) == {shirt: "7"}
    await api.ack_stock("B1")
    art = await api.control("GET", f"{ACC.sbm_id}/articles/{shirt}")
    assert (art["in_stock"], art["available"]) == ({"1": 10}, {"1": 7})

    # Deleting the order gives the stock back, and that change comes back too.
    assert (await api.put("deleteOrder", "WC-1", {"externalOrderNo": "WC-1"})).startswith("1;")
    assert stock_lines(await api.read_stock("B2")) == {shirt: "10"}


async def test_delivery_keeps_available_and_clears_reservation(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    order_no = (await api.order(cid, "WC-1", [(shirt, 4)])).split(";")[2]
    await api.control("POST", f"{ACC.sbm_id}/orders/{order_no}/deliver", {"trackingNo": "TRK1"})
    art = await api.control("GET", f"{ACC.sbm_id}/articles/{shirt}")
    assert (art["in_stock"], art["available"]) == ({"1": 6}, {"1": 6})


# -- the stock flow ------------------------------------------------------------------------------


async def test_stock_read_then_ack_unflags(api: Api, shirt: str) -> None:
    await api.stock(shirt, 0)
    answer = await api.read_stock("B1")
    specter_id = (await api.control("GET", f"{ACC.sbm_id}/articles/{shirt}"))["specter_id"]
    assert answer == f"{specter_id};{shirt};noItemsAvailable;B1"
    assert await api.ack_stock("B1") == "1;B1;1"
    assert await api.read_stock("B2") == ""
    assert (await api.flags())["stock"] == []


async def test_stock_lines_are_separated_by_cr(api: Api, shirt: str) -> None:
    await api.control("POST", f"{ACC.sbm_id}/articles", {"articleNo": "SOCK-1", "stock": {"1": 3}})
    await api.stock(shirt, 4)
    answer = await api.read_stock("B1")
    assert "\n" not in answer
    assert stock_lines(answer) == {"SOCK-1": "3", shirt: "4"}


async def test_change_after_read_stays_flagged(api: Api, shirt: str) -> None:
    await api.control("POST", f"{ACC.sbm_id}/articles", {"articleNo": "SOCK-1", "stock": {"1": 3}})
    await api.stock(shirt, 5)
    assert stock_lines(await api.read_stock("B1")) == {"SOCK-1": "3", shirt: "5"}
    await api.stock(shirt, 6)  # changed between read and ack
    assert await api.ack_stock("B1") == "1;B1;1"
    assert stock_lines(await api.read_stock("B2")) == {shirt: "6"}


async def test_same_open_batch_rereads_the_same_snapshot(api: Api, shirt: str) -> None:
    await api.stock(shirt, 5)
    first = await api.read_stock("B1")
    await api.stock(shirt, 8)
    assert await api.read_stock("B1") == first


async def test_another_batch_while_one_is_open_is_error_99(api: Api, shirt: str) -> None:
    await api.stock(shirt, 5)
    await api.read_stock("OLD123")
    assert await api.read_stock("NEW456") == "0;99;An earlier batch is still open: 'OLD123'"
    root = xml(await api.read_stock("NEW456", useXML="2"))
    assert root.findtext("code") == "99" and "'OLD123'" in root.findtext("message")
    await api.ack_stock("OLD123")
    assert await api.read_stock("NEW456") == ""


async def test_clear_article_batch_closes_a_stuck_batch_keeping_flags(api: Api, shirt: str) -> None:
    await api.stock(shirt, 5)
    await api.read_stock("STUCK")
    assert await api.get("clearArticleBatch", "", batchNo="", clearSelf="1") == "1;STUCK"
    assert (await api.flags())["stock"] == [shirt]
    assert stock_lines(await api.read_stock("FRESH")) == {shirt: "5"}


async def test_multiple_stock_sites_in_xml(api: Api, shirt: str) -> None:
    await api.control("POST", f"{ACC.sbm_id}/articles", {"articleNo": shirt, "stock": {"1": 5, "2": 7}})
    cid = await api.customer("eva@ek.se")
    await api.order(cid, "WC-1", [(shirt, 2)], stocksiteid="2")
    root = xml(await api.read_stock("B1", useXML="2", getMultipleStocksites="1"))
    per_site = {
        s.get("stockSiteId"): {a.findtext("articleNo"): a.findtext("noItemsAv") for a in s.iter("article")}
        for s in root.iter("stock")
    }
    assert per_site == {"1": {shirt: "5"}, "2": {shirt: "5"}}
    # Text sums the sites.
    await api.ack_stock("B1")
    await api.stock(shirt, 1, site="1")
    assert stock_lines(await api.read_stock("B2")) == {shirt: "6"}


# -- the article-info flow -----------------------------------------------------------------------


async def test_article_info_pages_with_response_max_limit(api: Api) -> None:
    await api.control("POST", f"{ACC.sbm_id}/articles",
                      [{"articleNo": f"ART-{i}", "name": f"Art {i}", "priceExclVat": "12.5"} for i in range(5)])
    pages = []
    for batch in ("I1", "I2", "I3", "I4"):
        root = xml(await api.get("getArticleInfoExternalNeedUpdate", batch, batchNo=batch, useXML="2",
                                 responseMaxLimit="2"))
        assert root.findtext("responseMaxLimit") == "2"
        pages.append([a.findtext("articleNo") for a in root.iter("article")])
        await api.get("updateArticleInfosFromBatch", batch, batchNo=batch)
    assert pages == [["ART-0", "ART-1"], ["ART-2", "ART-3"], ["ART-4"], []]


async def test_article_info_carries_article_data_with_decimal_commas(api: Api) -> None:
    await api.control("POST", f"{ACC.sbm_id}/articles", {
        "articleNo": "SALE-1", "name": "Sale", "priceExclVat": "79.20", "standardOldPrice": "99",
        "vatPercent": "12", "productWeight": "0.25", "groupCode": "G1", "groupName": "Hats",
    })
    root = xml(await api.get("getArticleInfoExternalNeedUpdate", "I1", batchNo="I1", useXML="2"))
    art = root.find("articles/article")
    assert art is not None
    got = {name: art.findtext(name) for name in
           ("priceExclVat", "standardOldPrice", "showStandardOldPrice", "vatPercent", "productWeight", "articleType")}
    assert got == {"priceExclVat": "79,20", "standardOldPrice": "99,00", "showStandardOldPrice": "1",
                   "vatPercent": "12,00", "productWeight": "0,250", "articleType": "GW"}
    assert (art.findtext("articleGroup/code"), art.findtext("articleGroup/name")) == ("G1", "Hats")


async def test_api_article_updates_do_not_flag_article_info(api: Api) -> None:
    await api.put("newArticleSubmit", "CAP-1", {"articleNo_1": "CAP-1", "name_1": "Cap"})
    assert (await api.flags())["articleInfo"] == []
    await api.control("PATCH", f"{ACC.sbm_id}/articles/CAP-1", {"name": "Cap (new)"})
    assert (await api.flags())["articleInfo"] == ["CAP-1"]


# -- the order-status flow -----------------------------------------------------------------------


async def test_order_status_pages_and_reports_delivery_and_deletion(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    nos = [(await api.order(cid, f"WC-{i}", [(shirt, 1)])).split(";")[2] for i in range(3)]
    await api.control("POST", f"{ACC.sbm_id}/orders/{nos[0]}/deliver", {"trackingNo": "TRK-1"})
    await api.control("POST", f"{ACC.sbm_id}/orders/{nos[1]}/delete")
    await api.control("POST", f"{ACC.sbm_id}/orders/{nos[2]}/status", {"statusId": "3"})

    root = xml(await api.get("getOrdersExternalNeedUpdate", "O1", batchNo="O1", useXML="2", responseMaxLimit="2"))
    assert root.findtext("moreInfoToFetch") == "1"
    orders = {o.get("orderNo"): o for o in root.iter("order")}
    assert list(orders) == nos[:2]
    delivered, deleted = orders[nos[0]], orders[nos[1]]
    assert delivered.get("externalOrderNo") == "WC-0"
    assert delivered.find("orderstatus").get("deliveryStatus") == "D"  # type: ignore[union-attr]
    assert [d.get("trackingNo") for d in delivered.iter("delivery")] == ["TRK-1"]
    assert deleted.find("orderstatus").get("statusId") == "5"  # type: ignore[union-attr]
    assert await api.get("updateOrdersFromBatch", "O1", batchNo="O1") == "1;O1;2"

    root = xml(await api.get("getOrdersExternalNeedUpdate", "O2", batchNo="O2", useXML="2", responseMaxLimit="2"))
    assert root.findtext("moreInfoToFetch") == "0"
    assert [o.get("orderNo") for o in root.iter("order")] == [nos[2]]
    assert root.find("orders/order/orderstatus").get("statusId") == "3"  # type: ignore[union-attr]


async def test_deleted_order_no_longer_reserves_stock(api: Api, shirt: str) -> None:
    cid = await api.customer("eva@ek.se")
    order_no = (await api.order(cid, "WC-1", [(shirt, 4)])).split(";")[2]
    await api.control("POST", f"{ACC.sbm_id}/orders/{order_no}/delete")
    assert (await api.control("GET", f"{ACC.sbm_id}/articles/{shirt}"))["available"] == {"1": 10}


# -- callbacks -----------------------------------------------------------------------------------


class Receiver:
    """A tiny shop that records the callbacks it gets; ``gate`` holds answers back when cleared."""

    def __init__(self) -> None:
        self.calls: asyncio.Queue[str] = asyncio.Queue()
        self.gate = asyncio.Event()
        self.gate.set()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        await self.calls.put(str(request.rel_url))
        await self.gate.wait()
        return web.Response(text="1;Done")

    async def next_call(self) -> str:
        return await asyncio.wait_for(self.calls.get(), 10)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_get("/{tail:.*}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield rec
    rec.gate.set()
    await runner.cleanup()


async def register(api: Api, **urls: str) -> None:
    assert (await api.get("checkAccountSettings", TODAY, date=TODAY, **urls)).startswith("1;")


async def test_callbacks_fire_with_tokens_replaced(api: Api, shirt: str, receiver: Receiver) -> None:
    await register(
        api,
        actionStockChange=f"{receiver.url}/cb?t=stock",
        actionRemoveOrder=f"{receiver.url}/cb?t=remove&orderNo=$orderNo",
        actionNewInvoice=f"{receiver.url}/cb?t=invoice&o=$orderId&i=$invoiceId&s=$invoiceSource",
    )
    await api.stock(shirt, 3)
    assert await receiver.next_call() == "/cb?t=stock"

    cid = await api.customer("eva@ek.se")
    order_id, order_no = (await api.order(cid, "WC-1", [(shirt, 1)])).split(";")[1:]
    assert await receiver.next_call() == "/cb?t=stock"  # the order changed the stock
    invoice = await api.control("POST", f"{ACC.sbm_id}/orders/{order_no}/invoice", {"invoiceSource": "WEB"})
    assert await receiver.next_call() == f"/cb?t=invoice&o={order_id}&i={invoice['invoice_id']}&s=WEB"
    await api.control("POST", f"{ACC.sbm_id}/orders/{order_no}/remove")
    # The removal also freed the reservation; the two calls run side by side.
    calls = {await receiver.next_call(), await receiver.next_call()}
    assert calls == {f"/cb?t=remove&orderNo={order_no}", "/cb?t=stock"}

    await api.sim.callbacks.idle()
    log = (await api.control("GET", f"{ACC.sbm_id}/callbacks"))["log"]
    assert [entry["status"] for entry in log] == [200] * 5


async def test_empty_url_turns_a_trigger_off(api: Api, shirt: str, receiver: Receiver) -> None:
    await register(api, actionStockChange=f"{receiver.url}/stock")
    await register(api, actionStockChange="")
    await api.stock(shirt, 3)
    await api.sim.callbacks.idle()
    assert receiver.calls.empty()
    assert (await api.control("GET", f"{ACC.sbm_id}/callbacks"))["urls"] == {}


async def test_bursts_of_changes_coalesce_into_one_more_call(api: Api, shirt: str, receiver: Receiver) -> None:
    await register(api, actionStockChange=f"{receiver.url}/stock")
    receiver.gate.clear()  # the shop is slow to answer the first call
    await api.stock(shirt, 1)
    await receiver.next_call()
    for n in range(2, 6):
        await api.stock(shirt, n)
    receiver.gate.set()
    await receiver.next_call()
    await api.sim.callbacks.idle()
    assert receiver.calls.empty()  # five changes, two calls
    assert len(api.sim.callbacks.log) == 2


async def test_a_shop_that_is_down_misses_the_call_and_flags_stay(api: Api, shirt: str) -> None:
    await register(api, actionStockChange="http://127.0.0.1:9/down")  # nothing listens on port 9
    await api.stock(shirt, 2)
    await api.sim.callbacks.idle()
    log = (await api.control("GET", f"{ACC.sbm_id}/callbacks"))["log"]
    assert len(log) == 1 and log[0]["status"] is None and log[0]["error"]
    assert (await api.flags())["stock"] == [shirt]


# -- faults --------------------------------------------------------------------------------------


async def test_error_rate_one_answers_500(api: Api) -> None:
    await api.control("POST", "faults", {"error_rate": 1.0})
    url = api.sim.url + "getInfo.asp?" + urlencode(api._query("checkAccountSettings", TODAY, {"date": TODAY}, None))
    async with api.http.get(url) as r:
        assert r.status == 500
    await api.control("DELETE", "faults")
    assert (await api.get("checkAccountSettings", TODAY, date=TODAY)).startswith("1;")


async def test_partial_error_rate_is_repeatable_per_seed(api: Api) -> None:
    async def statuses() -> list[int]:
        await api.control("POST", "faults", {"error_rate": 0.5, "error_status": 502})
        url = api.sim.url + "getInfo.asp?" + urlencode(api._query("checkAccountSettings", TODAY, {"date": TODAY}, None))
        out = []
        for _ in range(20):
            async with api.http.get(url) as r:
                out.append(r.status)
        return out

    api.sim.faults.rng.seed(7)
    first = await statuses()
    api.sim.faults.rng.seed(7)
    assert await statuses() == first
    assert set(first) == {200, 502}


async def test_down_for_fails_every_call_then_recovers(api: Api) -> None:
    now = [1000.0]
    api.sim.faults.clock = lambda: now[0]
    await api.control("POST", "faults", {"down_for_s": 30})
    url = api.sim.url + "getInfo.asp?" + urlencode(api._query("checkAccountSettings", TODAY, {"date": TODAY}, None))
    for _ in range(2):
        async with api.http.get(url) as r:
            assert r.status == 503
    now[0] += 31
    async with api.http.get(url) as r:
        assert r.status == 200


async def test_down_with_reset_drops_the_connection(api: Api) -> None:
    await api.control("POST", "faults", {"down_for_s": 60, "down_mode": "reset"})
    url = api.sim.url + "getInfo.asp?" + urlencode(api._query("checkAccountSettings", TODAY, {"date": TODAY}, None))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with api.http.get(url) as r:
            await r.read()


async def test_latency_delays_answers(api: Api) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    api.sim.faults.sleep = fake_sleep
    await api.control("POST", "faults", {"latency_ms": 250})
    assert (await api.get("checkAccountSettings", TODAY, date=TODAY)).startswith("1;")
    assert slept == [0.25]


async def test_reset_forgets_everything(api: Api, shirt: str) -> None:
    await api.control("POST", "reset")
    assert await api.control("GET", f"{ACC.sbm_id}/articles") == []
    assert await api.flags() == {"stock": [], "articleInfo": [], "orders": []}
