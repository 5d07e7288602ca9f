"""Every order setting changes what Specter receives, field by field and row by row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import msgspec
import pytest

from gateway.engine.customers import as_sent
from gateway.engine.order_rows import order_rows, specter_order
from gateway.model import (
    Address,
    CashOnDeliveryRow,
    Customer,
    GiftCardRow,
    InvalidInput,
    Order,
    Payment,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
    convert,
)
from gateway.settings import TenantSettings


def make_order(**changes) -> Order:
    order = Order(
        shop_id="501",
        number="501",
        state="processing",
        customer=Customer(first_name="Åsa", last_name="Öberg", email="asa@example.se", company="Öberg AB",
                          address=Address(line1="Storgatan 1", zip_code="11122", city="Stockholm", country_code="SE"),
                          custom_fields={"Leveransinstruktion": "Ring på"}),
        rows=[
            ProductRow(article_no="TS-1", name="T-shirt", quantity=D(2), unit_price_ex_vat=D("100.00"),
                       vat_percent=D(25), discount_ex_vat=D("20.00")),
            ProductRow(article_no="BOK-1", name="Bok", quantity=D(1), unit_price_ex_vat=D("200.00"), vat_percent=D(6)),
            ShippingRow(name="PostNord", unit_price_ex_vat=D("49.00"), vat_percent=D(25), method_id="flat_rate:3"),
        ],
        payment=Payment(method="klarna_payments", transaction_id="kl-abc-123",
                        paid_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),
        discount_codes=["HOST10"],
        customer_note="Lämna vid dörren",
    )
    return msgspec.structs.replace(order, **changes)


def settings(**changes) -> TenantSettings:
    return msgspec.structs.replace(TenantSettings(), **changes)


def by_article(rows):
    return {r.article_no: r for r in rows}


def test_product_shipping_and_order_discount_rows():
    rows = order_rows(make_order(), settings())
    assert [r.article_no for r in rows] == ["TS-1", "BOK-1", "RABATT", "FRAKT"]
    ts = rows[0]
    assert (ts.price_ex_vat, ts.quantity, ts.vat_percent) == (D("100.00"), D(2), D(25))
    discount = rows[2]
    assert discount.price_ex_vat == D("-20.00") and discount.vat_percent == D(25)
    assert discount.name == "Rabatt HOST10 5 %"  # 20 of 400 in goods
    assert rows[3].price_ex_vat == D("49.00")


def test_discount_per_item_when_that_setting_is_on():
    rows = order_rows(make_order(), settings(discount_percent_per_item=True))
    assert [r.article_no for r in rows] == ["TS-1", "RABATT", "BOK-1", "FRAKT"]
    item_discount = rows[1]
    assert item_discount.name == "Rabatt 10 % TS-1"
    assert (item_discount.price_ex_vat, item_discount.quantity) == (D("-10.00"), D(2))


def test_order_discount_is_split_per_vat_rate():
    order = make_order()
    order.rows[1] = msgspec.structs.replace(order.rows[1], discount_ex_vat=D("10.00"))
    discounts = [r for r in order_rows(order, settings()) if r.article_no == "RABATT"]
    assert [(r.vat_percent, r.price_ex_vat) for r in discounts] == [(D(6), D("-10.00")), (D(25), D("-20.00"))]


def test_configured_article_numbers_are_used():
    order = make_order(rows=make_order().rows + [
        PaymentFeeRow(name="Fakturaavgift", unit_price_ex_vat=D("29.00"), vat_percent=D(25)),
        GiftCardRow(name="Presentkort", unit_price_ex_vat=D("150.00"), code="GC-1"),
    ])
    rows = by_article(order_rows(order, settings(shipping_article_no="SHIP", payment_fee_article_no="FEE",
                                                  gift_card_article_no="GIFT", discount_article_no="DISC")))
    assert set(rows) == {"TS-1", "BOK-1", "DISC", "SHIP", "FEE", "GIFT"}
    assert rows["GIFT"].price_ex_vat == D("-150.00")  # a gift card pays: a negative row


@pytest.mark.parametrize(
    "setting, article_no, row",
    [
        ("include_zero_shipping", "FRAKT", ShippingRow(name="Fri frakt", unit_price_ex_vat=D(0))),
        ("include_zero_payment_fee", "AVGIFT", PaymentFeeRow(name="Faktura", unit_price_ex_vat=D(0))),
        ("include_zero_cod_fee", "POSTFORSKOTT", CashOnDeliveryRow(name="Postförskott", unit_price_ex_vat=D(0))),
    ],
)
def test_zero_amount_rows_only_when_their_setting_is_on(setting, article_no, row):
    order = make_order(rows=make_order().rows[:2] + [row], payment=Payment(method="cod"))
    assert article_no not in by_article(order_rows(order, settings()))
    sent = by_article(order_rows(order, settings(**{setting: True})))
    assert sent[article_no].price_ex_vat == D(0)


def test_zero_cod_row_is_added_only_for_cash_on_delivery():
    on = settings(include_zero_cod_fee=True)
    assert "POSTFORSKOTT" in by_article(order_rows(make_order(payment=Payment(method="cod")), on))
    assert "POSTFORSKOTT" not in by_article(order_rows(make_order(), on))


def test_payment_type_reference_delivery_key_and_mail_flags():
    mapped = settings(send_order_mail=True, delivery_methods={"flat_rate:3": "PN-1"})
    order, notes = specter_order(make_order(), mapped, "C-9")
    assert order.customer_id == "C-9"
    assert order.pay_type == "K" and order.payment_reference == "kl-abc-123"
    assert order.prepaid
    assert order.delivery_method == "PN-1"
    assert order.send_order_mail and not order.send_order_mail_to_user
    assert order.external_order_no == "501"
    assert order.customer_reference == "501"  # the order number, when the customer gave no reference
    assert order.published_comment == "Lämna vid dörren"
    assert order.internal_comment == "" and notes == []
    assert [r.article_no for r in order.rows] == ["TS-1", "BOK-1", "RABATT", "FRAKT"]


def test_unpaid_order_is_not_prepaid_and_unmapped_payment_has_no_pay_type():
    order, _ = specter_order(make_order(payment=Payment(method="bank_in_the_moon")), settings(), "C-9")
    assert not order.prepaid and order.pay_type == "" and order.payment_reference == ""


@pytest.mark.parametrize(
    "method, paid, prepaid",
    [
        ("klarna_payments", True, True),
        ("swish", True, True),
        ("klarna_payments", False, False),  # not paid yet
        ("cod", True, False),  # WooCommerce dates cash on delivery as paid when it is processed
        ("invoice", True, False),
        ("bacs", True, False),  # a bank transfer is paid after checkout
    ],
)
def test_only_a_paid_order_with_a_method_paid_at_checkout_is_prepaid(method, paid, prepaid):
    payment = Payment(method=method, paid_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) if paid else None)
    order, _ = specter_order(make_order(payment=payment), settings(), "C-9")
    assert order.prepaid is prepaid


def test_prepaid_methods_are_a_setting_that_refuses_cash_on_delivery_and_invoice():
    paid = Payment(method="my_card", paid_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert not specter_order(make_order(payment=paid), settings(), "C-9")[0].prepaid
    assert specter_order(make_order(payment=paid), settings(prepaid_payment_methods=["my_card"]), "C-9")[0].prepaid
    for methods, message in ((["cod"], "'cod' is paid on delivery"), (["invoice"], "'invoice' is paid by invoice")):
        with pytest.raises(InvalidInput, match=message):
            convert({"prepaid_payment_methods": methods}, TenantSettings)


@pytest.mark.parametrize(
    "mapping, key",
    [
        ({"flat_rate": "PN"}, "PN"),  # the bare method id covers its instances
        ({"flat_rate": "PN", "flat_rate:3": "DHL"}, "DHL"),  # the instance's own entry comes first
        ({"flat_rate:4": "DHL"}, "flat_rate:3"),  # another instance's entry is not this one's
    ],
)
def test_a_delivery_instance_is_mapped_on_its_own_or_by_its_method_id(mapping, key):
    order, _ = specter_order(make_order(), settings(delivery_methods=mapping), "C-9")
    assert order.delivery_method == key


def test_unmapped_delivery_method_sends_the_shop_id_and_prefix_applies():
    order, _ = specter_order(make_order(), settings(external_order_prefix="W1-"), "C-9")
    assert order.delivery_method == "flat_rate:3"
    assert order.external_order_no == "W1-501"


def test_multishop_webshop_and_stock_site_and_language_come_from_settings():
    order, _ = specter_order(make_order(), settings(webshop_id="2", stock_site_id="7", language="en"), "C-9")
    assert (order.webshop_id, order.stock_site_id, order.language, order.currency) == ("2", "7", "en", "SEK")


def test_custom_customer_fields_only_when_set():
    order, _ = specter_order(make_order(), settings(include_customer_fields=True), "C-9")
    assert order.internal_comment == "Leveransinstruktion: Ring på"


def test_too_long_reference_and_delivery_method_are_shortened_and_noted():
    long_method = settings(delivery_methods={"flat_rate:3": "M" * 120})
    order, notes = specter_order(make_order(customer_reference="R" * 80), long_method, "C-9")
    assert order.customer_reference == "R" * 50 and order.delivery_method == "M" * 100
    assert notes == [
        "customer reference shortened from 80 to 50 characters",
        "delivery method shortened from 120 to 100 characters",
    ]


def test_company_name_in_address_line_1():
    customer = make_order().customer
    assert as_sent(customer, False).address.line1 == "Storgatan 1"
    moved = as_sent(customer, True)
    assert (moved.address.line1, moved.address.line2) == ("Öberg AB", "Storgatan 1")
