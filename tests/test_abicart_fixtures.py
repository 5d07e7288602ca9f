"""One object of each documented Abicart class (tests/fixtures/abicart), decoded: what an
Abicart shop's answers become in the domain model, and the fake shop's property tables checked
against the same documented tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.abicart import decode
from adapters.abicart.fake_shop.schema import CLASSES
from gateway.model import PriceTier, ProductRow, ShippingRow

FIXTURES = Path(__file__).parent / "fixtures" / "abicart"
CLASS_FILES = ["Article", "ArticleVariant", "Articlegroup", "Order", "OrderItem", "Customer", "Webshop"]


def fixture(name: str) -> Any:
    return decode.loads((FIXTURES / f"{name}.json").read_bytes())


def test_there_is_one_fixture_per_documented_class():
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(CLASS_FILES)


@pytest.mark.parametrize("name", CLASS_FILES)
def test_each_fixture_has_exactly_the_documented_properties_the_fake_knows(name):
    assert set(fixture(name)) <= set(CLASSES[name]), set(fixture(name)) - set(CLASSES[name])
    # ... and the fake knows nothing the documented table lacks (Webshop's table is long; the
    # fixture holds what a connector reads of it).
    if name != "Webshop":
        assert set(CLASSES[name]) <= set(fixture(name)), set(CLASSES[name]) - set(fixture(name))


def test_the_webshop_says_currency_vat_handling_and_language():
    assert decode.shop_info(fixture("Webshop")) == decode.ShopInfo(
        base_currency="SEK", default_language="sv", price_stored_with_vat=True)


def test_an_article_keeps_every_quantity_tier_its_sale_price_ean_and_stock_object():
    info = decode.shop_info(fixture("Webshop"))
    data = {**fixture("Article"), "choices": []}  # as a simple article
    article = decode.article(data, info)
    assert (article.article_no, article.name, article.barcode) == ("TROJA", "Ulltröja", "7350000000019")
    assert (article.price_ex_vat, article.sale_price_ex_vat, article.vat_percent) == (
        Decimal("399.2"), Decimal("319.2"), Decimal(25))
    assert article.price_tiers == [
        PriceTier(min_quantity=Decimal(1), price_ex_vat=Decimal("399.2"), sale_price_ex_vat=Decimal("319.2")),
        PriceTier(min_quantity=Decimal(10), price_ex_vat=Decimal("359.2"), sale_price_ex_vat=None)]
    assert (article.stock, article.manage_stock, article.weight_kg) == (12, True, Decimal("0.45"))
    assert (article.description, article.short_description) == ("Varm tröja i merinoull.", "Merinoull")


def test_a_variant_is_the_articles_choice_with_its_own_number_and_stock():
    info = decode.shop_info(fixture("Webshop"))
    # The documented ArticleVariant table does not say which options it is: here the choices
    # an OrderItem would carry for it.
    variant = {**fixture("ArticleVariant"), "choices": {"5001": 6002}}
    [large] = decode.articles(fixture("Article"), [variant], info, {"6002": "L"})
    assert (large.article_no, large.name, large.stock) == ("TROJA-L", "Ulltröja L", 4)
    # 50 SEK more for L, kept including VAT: 40 ex VAT on every tier.
    assert (large.price_ex_vat, large.sale_price_ex_vat) == (Decimal("439.20"), Decimal("359.20"))
    assert large.price_tiers[1].price_ex_vat == Decimal("399.20")
    assert (large.shop_id, large.parent_shop_id) == ("172358573:7002", "172358573")


def test_an_articlegroup_is_named_in_the_shops_language():
    group = fixture("Articlegroup")
    assert (decode.text(group["name"], "sv"), decode.text(group["name"], "en")) == ("Tröjor", "Sweaters")


def test_an_order_with_its_item_becomes_rows_addresses_and_a_discount():
    info = decode.shop_info(fixture("Webshop"))
    order = decode.order(fixture("Order"), [fixture("OrderItem")], info, [])
    shirt, shipping = order.rows
    assert isinstance(shirt, ProductRow) and isinstance(shipping, ShippingRow)
    assert (shirt.article_no, shirt.name, shirt.quantity, shirt.unit_price_ex_vat, shirt.discount_ex_vat) == (
        "TROJA-L", "Ulltröja", Decimal(2), Decimal("359.2"), Decimal("119.6"))
    assert (shipping.unit_price_ex_vat, shipping.method_id) == (Decimal(49), "12")
    assert (order.number, order.state, order.discount_codes) == ("1042", "processing", ["Vårrea"])
    billing, delivery = order.billing, order.shipping
    assert (billing.line1, billing.line2, billing.zip_code, billing.city) == (
        "Storgatan 1", "Lgh 1101", "11122", "Stockholm")
    assert delivery is not None and (delivery.first_name, delivery.last_name, delivery.city) == (
        "Bo", "Öberg", "Göteborg")
    assert (order.customer.phone, order.customer.mobile) == ("08-123 45", "070-123 45 67")
    assert order.created_at is not None and order.created_at.isoformat() == "2024-05-01T10:00:00+00:00"


def test_a_customer_with_company_phones_email_and_custom_fields():
    customer = decode.customer(fixture("Customer"), "sv")
    assert (customer.shop_id, customer.company, customer.display_name, customer.email) == (
        "8001", "Öberg & Co AB", "Öberg & Co AB", "asa@example.se")
    assert (customer.address.line1, customer.address.zip_code, customer.address.city) == (
        "Storgatan 1", "11122", "Stockholm")
    assert customer.delivery_address is None  # copyAddress: the same as the invoice address
    assert customer.custom_fields == {"Önskat leveransdatum": "2024-05-10"}
