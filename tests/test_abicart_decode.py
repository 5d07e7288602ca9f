"""Abicart objects to the domain model: exact prices, VAT fractions, languages, variants, orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.abicart import decode
from gateway.errors import PermanentError
from gateway.model import CashOnDeliveryRow, DiscountRow, GiftCardRow, PaymentFeeRow, ProductRow, ShippingRow

RAW_ARTICLE = b"""{"uid": 11, "articleNumber": "TS-1", "name": {"sv": "Tr\\u00f6ja", "en": "Sweater"},
 "description": {"en": "Warm"}, "price": {"incVat": 124.99, "exVat": 99.992, "vat": 24.998, "vatRate": 0.25},
 "weight": 450, "stock": 7, "choices": [], "type": "article"}"""


def test_prices_are_exact_decimals_and_vat_fractions_whole_percents():
    article = decode.article(decode.loads(RAW_ARTICLE), "sv")
    assert article.price_ex_vat == Decimal("99.992")
    assert str(article.vat_percent) == "25"
    assert article.weight_kg == Decimal("0.45")
    assert (article.stock, article.manage_stock, article.shop_id) == (7, True, "11")


@pytest.mark.parametrize(("rate", "percent"), [("0.25", "25"), ("0.12", "12"), ("0.06", "6"), ("0", "0"),
                                                 ("0.125", "12.5")])
def test_vat_rate_fractions(rate, percent):
    assert str(decode.vat_percent(decode.loads(rate.encode()))) == percent


def test_texts_in_the_tenant_language_else_swedish_else_any():
    data = decode.loads(RAW_ARTICLE)
    assert decode.article(data, "en").name == "Sweater"
    assert decode.article(data, "sv").name == "Tröja"
    assert decode.article(data, "de").name == "Tröja"
    assert decode.article(data, "sv").description == "Warm"  # only English given


def test_each_variant_is_its_own_article_with_its_own_number_and_price():
    parent = {**decode.loads(RAW_ARTICLE), "choices": ["Färg"]}
    variants = [
        {"uid": 21, "article": 11, "articleNumber": "TS-1-RED", "stock": 3, "choices": [{"sv": "Röd"}], "price": None},
        {"uid": 22, "article": 11, "articleNumber": "TS-1-BLU", "stock": 0, "choices": [{"sv": "Blå"}],
         "price": {"exVat": Decimal("89.60"), "vatRate": Decimal("0.12")}},
    ]
    red, blue = decode.articles(parent, variants, "sv")
    assert (red.article_no, red.name, red.price_ex_vat, red.stock) == ("TS-1-RED", "Tröja Röd", Decimal("99.992"), 3)
    assert (blue.article_no, blue.price_ex_vat, blue.vat_percent) == ("TS-1-BLU", Decimal("89.60"), Decimal(12))
    assert red.parent_shop_id == blue.parent_shop_id == "11" and red.shop_id != blue.shop_id


def test_a_product_package_is_marked_so_it_is_never_exported():
    from gateway.engine.products import export_problem

    package = decode.article({**decode.loads(RAW_ARTICLE), "type": "package"}, "sv")
    assert package.is_package
    assert "package" in export_problem(package)


def _money(ex: str, rate: str = "0.25") -> dict:
    return {"exVat": Decimal(ex), "vatRate": Decimal(rate)}


ORDER = {
    "uid": 500, "orderNumber": 1001, "ordered": "2024-05-01T10:00:00+00:00", "currency": "SEK",
    "customer": {"uid": 9, "info": {"email": "asa@example.se", "phoneMobile": "0701"},
                 "address": {"firstName": "Åsa", "lastName": "Öberg", "street": "Storgatan 1", "zipcode": "11122",
                             "city": "Stockholm", "country": "SE"}},
    "costs": {"shipment": _money("49.00"), "payment": _money("20.00")},
    "delivery": {"method": 7, "name": {"sv": "PostNord"}},
    "payments": [{"method": "invoice", "title": {"sv": "Faktura"}, "reference": "inv-1"},
                 {"method": "giftcard", "code": "GC-1", "amount": {"exVat": Decimal("100"), "vatRate": 0}}],
    "discountInfo": {"code": "SOMMAR", "discounts": [{"description": {"sv": "Sommarrea"}, "amount": _money("40.00")}]},
}
ITEMS = [
    {"uid": 601, "article": 11, "articleNumber": "TS-1-RED", "articleName": {"sv": "Tröja"}, "choices": [{"sv": "Röd"}],
     "quantity": 2, "costs": {"unit": _money("100.00"), "total": _money("180.00")},
     "discountInfo": {"amount": _money("20.00")}},
    {"uid": 602, "article": 12, "articleNumber": "BOK-1", "articleName": {"sv": "Bok"}, "quantity": 1,
     "costs": {"unit": _money("200.00", "0.06"), "total": _money("200.00", "0.06")}},
]


def test_an_order_becomes_typed_rows_with_discounts_not_counted_twice():
    order = decode.order(ORDER, ITEMS, "sv", ["cod"])
    shirt, book, shipping, fee, discount, gift = order.rows
    assert isinstance(shirt, ProductRow)
    assert (shirt.article_no, shirt.name, shirt.quantity, shirt.unit_price_ex_vat, shirt.discount_ex_vat) == (
        "TS-1-RED", "Tröja Röd", Decimal(2), Decimal("100.00"), Decimal("20.00"))
    assert (book.vat_percent, book.shop_product_id) == (Decimal(6), "12")
    assert isinstance(shipping, ShippingRow) and (shipping.method_id, shipping.unit_price_ex_vat) == (
        "7",
        Decimal("49.00"),
    )
    assert isinstance(fee, PaymentFeeRow) and fee.unit_price_ex_vat == Decimal("20.00")
    assert isinstance(discount, DiscountRow) and (discount.unit_price_ex_vat, discount.code) == (
        Decimal("-40.00"),
        "SOMMAR",
    )
    assert isinstance(gift, GiftCardRow) and (gift.unit_price_ex_vat, gift.code, gift.vat_percent) == (
        Decimal(-100),
        "GC-1",
        Decimal(0),
    )
    assert (order.number, order.state, order.payment.method, order.payment.transaction_id) == (
        "1001",
        "processing",
        "invoice",
        "inv-1",
    )
    assert (order.customer.shop_id, order.customer.display_name, order.customer.mobile) == ("9", "Åsa Öberg", "0701")
    assert order.discount_codes == ["SOMMAR"]


def test_cash_on_delivery_fee_by_method_or_by_its_swedish_name():
    by_method = {**ORDER, "payments": [{"method": "cod", "title": {"sv": "Kontant"}}]}
    by_name = {**ORDER, "payments": [{"method": "pf-1", "title": {"sv": "Postförskott"}}]}
    for data in (by_method, by_name):
        fees = [r for r in decode.order(data, ITEMS, "sv", ["cod"]).rows if isinstance(r, CashOnDeliveryRow)]
        assert [f.unit_price_ex_vat for f in fees] == [Decimal("20.00")]


def test_order_states():
    assert decode.order({**ORDER, "ordered": None}, ITEMS, "sv", []).state == "draft"
    assert decode.order({**ORDER, "discarded": True}, ITEMS, "sv", []).state == "cancelled"
    assert decode.order({**ORDER, "deliveryStatus": "delivered"}, ITEMS, "sv", []).state == "completed"


def test_an_order_in_another_currency_is_refused_naming_it():
    with pytest.raises(PermanentError, match="EUR.*SEK"):
        decode.order({**ORDER, "currency": "EUR"}, ITEMS, "sv", [])
