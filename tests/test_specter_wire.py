"""Specter's wire format: Latin-1 bodies, numbers, text and XML answers, the three pull flows."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.settings import SpecterAccount
from gateway.specter import wire
from gateway.specter.actions import ACTIONS
from gateway.specter.errors import (
    AuthenticationError,
    BadAnswer,
    DuplicateOrderError,
    OpenBatchError,
    SpecterPermanentError,
    SpecterTransientError,
)
from gateway.specter.signing import EncodingProblem, sign

# --- requests -------------------------------------------------------------------------------------


def test_form_body_is_latin1_percent_encoded():
    body = wire.encode_form({"firstName": "Åsa", "city": "Malmö & Lund"})
    assert body == "firstName=%C5sa&city=Malm%F6+%26+Lund"
    assert parse_qs(body, encoding="latin-1") == {"firstName": ["Åsa"], "city": ["Malmö & Lund"]}


def test_form_body_refuses_an_unencodable_value_naming_its_field():
    with pytest.raises(EncodingProblem) as info:
        wire.encode_form([("name_1", "Mug"), ("name_3", "Tea 茶")])
    assert info.value.field == "name_3"


@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40))
def test_any_latin1_text_round_trips_through_a_form_body(text):
    assert parse_qs(wire.encode_form({"v": text}), encoding="latin-1", keep_blank_values=True) == {"v": [text]}


def account(version: int = 2) -> SpecterAccount:
    return SpecterAccount(
        id="acme", sbm_id=4711, api_version=version, api_user_id="api7", user_key="uk", integration_key="ik"
    )


def test_query_of_api_v2_carries_the_api_user_and_the_signature():
    query = wire.build_query(account(2), ACTIONS["getOrdersExternalNeedUpdate"], {"batchNo": "B1"}, use_xml=2)
    assert query == [
        ("action", "getOrdersExternalNeedUpdate"),
        ("sbmId", "4711"),
        ("apiUserId", "api7"),
        ("key", sign(4711, "uk", "ik", "B1")),
        ("useXML", "2"),
        ("batchNo", "B1"),
    ]


def test_query_of_api_v1_has_no_api_user_and_signs_from_the_form():
    query = dict(wire.build_query(account(1), ACTIONS["newOrderSubmit"], {}, use_xml=1, form={"customerId": "77"}))
    assert "apiUserId" not in query
    assert query["key"] == sign(4711, "uk", "ik", "77")


# --- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, places, expected",
    [
        (Decimal("12.5"), 2, "12.50"),
        (Decimal("99.995"), 2, "100.00"),
        (Decimal("79.2"), 3, "79.200"),
        (Decimal("-10"), 3, "-10.000"),
        (3, 3, "3.000"),
        (Decimal("1E+2"), 2, "100.00"),
    ],
)
def test_numbers_are_sent_with_a_dot_and_fixed_decimals(value, places, expected):
    assert wire.format_number(value, places) == expected


def test_each_kind_of_number_has_its_places():
    assert wire.format_number(Decimal("10"), wire.PRICE_PLACES) == "10.00"
    assert wire.format_number(Decimal("10"), wire.ROW_PLACES) == "10.000"
    assert wire.format_number(Decimal("0.25"), wire.WEIGHT_PLACES) == "0.250"


@pytest.mark.parametrize(
    "quantity, expected", [("2", "2"), ("2.000", "2"), ("1.5", "1.5"), ("0.125", "0.125"), ("2.0004", "2")]
)
def test_quantities_are_whole_or_up_to_three_decimals(quantity, expected):
    assert wire.format_quantity(Decimal(quantity)) == expected


@pytest.mark.parametrize(
    "text, expected", [("12,50", "12.50"), ("12.50", "12.50"), (" 1 234,5 ", "1234.5"), ("-3", "-3")]
)
def test_numbers_from_specter_take_a_comma_or_a_dot(text, expected):
    assert wire.parse_decimal(text) == Decimal(expected)


def test_a_number_that_is_not_one_is_an_error_naming_it():
    with pytest.raises(ValueError, match="priceExclVat"):
        wire.parse_decimal("abc", "priceExclVat")


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from([".", ","]),
)
def test_any_decimal_formats_and_parses_back(value, separator):
    text = wire.format_number(value, 3).replace(".", separator)
    assert wire.parse_decimal(text) == value


# --- answers --------------------------------------------------------------------------------------


def test_text_answer_gives_the_new_id():
    answer = wire.parse_text_answer(b"1;55123;extra")
    assert answer.id == "55123" and answer.other == ["extra"]


def test_text_error_answer_is_permanent_with_code_and_message():
    with pytest.raises(SpecterPermanentError) as info:
        wire.parse_text_answer("0;12;Artikeln saknar pris för Ö-ost".encode("latin-1"), "newArticleSubmit")
    assert info.value.code == "12"
    assert info.value.message == "Artikeln saknar pris för Ö-ost"
    assert "newArticleSubmit" in str(info.value)


def test_error_99_carries_the_open_batch_number():
    with pytest.raises(OpenBatchError) as info:
        wire.parse_text_answer(b"0;99;Batch 'OLD-17' is not finished")
    assert info.value.open_batch_no == "OLD-17"
    assert isinstance(info.value, SpecterTransientError)


def test_duplicate_order_answer_names_the_existing_order():
    with pytest.raises(DuplicateOrderError) as info:
        wire.parse_text_answer(b"0;3;externalOrderNo 1001 already exists as orderId 88123", "newOrderSubmit")
    assert info.value.existing_order_id == "88123"


@pytest.mark.parametrize(
    "message", ["Invalid key", "Wrong MD5 key", "unknown sbmId '4711'", "Felaktig nyckel", "Unauthorized"]
)
def test_bad_credentials_are_an_authentication_error(message):
    with pytest.raises(AuthenticationError):
        wire.parse_text_answer(f"0;1;{message}".encode("latin-1"))


def test_other_errors_are_not_mistaken_for_credentials_or_duplicates():
    with pytest.raises(SpecterPermanentError) as info:
        wire.parse_text_answer(b"0;5;vatPercent_1 '30' is not a VAT rate", "newArticleSubmit")
    assert type(info.value) is SpecterPermanentError


def test_an_html_page_is_a_transient_bad_answer():
    with pytest.raises(BadAnswer) as info:
        wire.parse_text_answer(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    assert isinstance(info.value, SpecterTransientError)


def test_xml_error_answer_raises_with_the_open_batch():
    body = (
        b"<root><APIresponse><result>0</result><code>99</code>"
        b"<message>Open batch 'X9'</message></APIresponse></root>"
    )
    with pytest.raises(OpenBatchError) as info:
        wire.parse_xml(body)
    assert info.value.open_batch_no == "X9"


def test_xml_is_latin1_unless_it_declares_otherwise():
    latin = "<APIresponse><result>1</result><name>Blåbär</name></APIresponse>".encode("latin-1")
    assert wire.parse_xml(latin).find("name").text == "Blåbär"
    utf8 = '<?xml version="1.0" encoding="utf-8"?><APIresponse><name>Blåbär</name></APIresponse>'.encode()
    assert wire.parse_xml(utf8).find("name").text == "Blåbär"


def test_broken_xml_is_a_bad_answer():
    with pytest.raises(BadAnswer):
        wire.parse_xml(b"<APIresponse><result>1</res")


# --- stock ----------------------------------------------------------------------------------------


def test_stock_text_lines_separated_by_cr():
    body = b"101;MUG-1;12;B1\r102;MUG-2;noItemsAvailable;B1\r\n103;TEA;4,000;B1\n\r"
    assert wire.parse_stock_text(body) == [
        wire.StockChange("MUG-1", 12, "101"),
        wire.StockChange("MUG-2", 0, "102"),
        wire.StockChange("TEA", 4, "103"),
    ]


def test_empty_stock_answer_means_nothing_changed():
    assert wire.parse_stock_text(b"") == []


def test_stock_text_with_error_99_raises():
    with pytest.raises(OpenBatchError):
        wire.parse_stock_text(b"0;99;Open batch 'A'")


MULTI_SITE = b"""<root><APIresponse><result>1</result></APIresponse><stockChanges>
<stock stockSiteId="1"><articles>
  <article><articleNo>MUG-1</articleNo><noItemsAv>5</noItemsAv></article>
  <article><articleNo>MUG-2</articleNo><noItemsAv>noItemsAvailable</noItemsAv></article>
</articles></stock>
<stock><stockSiteId>2</stockSiteId><articles>
  <article articleNo="MUG-1" noItemsAv="3"/>
</articles></stock>
</stockChanges></root>"""


def test_multi_site_stock_per_site_and_summed():
    changes = wire.parse_stock_xml(wire.parse_xml(MULTI_SITE))
    assert [(c.article_no, c.available, c.stock_site) for c in changes] == [
        ("MUG-1", 5, "1"),
        ("MUG-2", 0, "1"),
        ("MUG-1", 3, "2"),
    ]
    summed = {s.article_no: s.available for s in wire.sum_stock(changes)}
    assert summed == {"MUG-1": 8, "MUG-2": 0}
    only_site_2 = {s.article_no: s.available for s in wire.sum_stock(changes, ["2"])}
    assert only_site_2 == {"MUG-1": 3}


# --- article data ---------------------------------------------------------------------------------

ARTICLES = """<root><APIresponse><result>1</result></APIresponse><articles>
<article priceExclVat="80,00" buyPrice="30,5" barCode="7310000000001" productWeight="0,250" vatPercent="25"
         standardOldPrice="100,00" showStandardOldPrice="1" articleType="GW" commodityCode="69120000">
  <articleNo>MUG-1</articleNo><name>Kaffemugg blå</name>
  <articleGroup code="KOK" name="Kök"/>
  <publishInWebshop>0</publishInWebshop>
</article>
<article priceExclVat="20.00" standardOldPrice="30.00" showStandardOldPrice="0" articleType="TJ">
  <articleNo>SERVICE</articleNo><name>Gravyr</name>
</article>
</articles><responseMaxLimit>2</responseMaxLimit></root>""".encode("latin-1")


def test_article_info_with_sale_price_group_and_types():
    page = wire.parse_article_infos(wire.parse_xml(ARTICLES))
    mug, service = page.items
    assert mug.article.article_no == "MUG-1" and mug.article.name == "Kaffemugg blå"
    assert mug.article.price_ex_vat == Decimal("100.00")  # the ordinary price
    assert mug.article.sale_price_ex_vat == Decimal("80.00")
    assert mug.article.buy_price == Decimal("30.5")
    assert mug.article.weight_kg == Decimal("0.250")
    assert mug.article.vat_percent == Decimal("25")
    assert mug.article.barcode == "7310000000001"
    assert mug.article.group is not None and (mug.article.group.code, mug.article.group.name) == ("KOK", "Kök")
    assert mug.article.manage_stock and mug.article_type == "GW" and mug.commodity_code == "69120000"
    assert mug.publish_in_webshop is False
    # Not on sale: priceExclVat is the price, standardOldPrice is ignored.
    assert service.article.price_ex_vat == Decimal("20.00") and service.article.sale_price_ex_vat is None
    assert not service.article.manage_stock
    assert service.publish_in_webshop is None


def test_article_page_is_full_when_as_many_came_as_the_limit():
    assert wire.parse_article_infos(wire.parse_xml(ARTICLES)).more is True
    fewer = ARTICLES.replace(b"<responseMaxLimit>2<", b"<responseMaxLimit>500<")
    page = wire.parse_article_infos(wire.parse_xml(fewer))
    assert page.more is False and page.max_limit == 500
    assert [a.article_no for a in page.articles] == ["MUG-1", "SERVICE"]


# --- order status ---------------------------------------------------------------------------------

ORDERS = b"""<root><APIresponse><result>1</result></APIresponse><orders>
<order orderNo="5001"><externalOrderNo>WC-1</externalOrderNo>
  <orderstatus deliveryStatus="D" statusId="3"/>
  <deliveries updated="1">
    <delivery trackingNo="TRK1"/><delivery trackingNo="TRK2"/><delivery trackingNo=""/>
  </deliveries>
</order>
<order orderNo="5002"><orderstatus deliveryStatus="" statusId="5"/><deliveries/></order>
<order orderNo="5003"><orderstatus deliveryStatus="P" statusId="2"/></order>
</orders><moreInfoToFetch>1</moreInfoToFetch></root>"""


def test_order_changes_delivered_deleted_and_tracking():
    page = wire.parse_order_changes(wire.parse_xml(ORDERS))
    delivered, deleted, open_ = page.updates
    assert (delivered.specter_order_no, delivered.external_order_no) == ("5001", "WC-1")
    assert delivered.delivered and not delivered.deleted
    assert delivered.tracking_numbers == ["TRK1", "TRK2"]
    assert deleted.deleted and not deleted.delivered
    assert not open_.delivered and not open_.deleted and open_.tracking_numbers == []
    assert page.more is True


def test_order_changes_without_more():
    page = wire.parse_order_changes(wire.parse_xml(ORDERS.replace(b">1</moreInfoToFetch>", b">0</moreInfoToFetch>")))
    assert page.more is False
