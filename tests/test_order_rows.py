"""Every order setting in the seeds changes what Specter receives, row by row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import msgspec
import pytest

from gateway.engine.customers import as_sent
from gateway.engine.order_rows import order_fields, order_rows
from gateway.model import (
    Address,
    CashOnDeliveryRow,
    Customer,
    GiftCardRow,
    Order,
    Payment,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
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
    return {r["articleNo"]: r for r in rows}


def test_product_shipping_and_order_discount_rows():
    rows = order_rows(make_order(), settings())
    assert [r["articleNo"] for r in rows] == ["TS-1", "BOK-1", "RABATT", "FRAKT"]
    ts = rows[0]
    assert (ts["priceExclVAT"], ts["noOfItems"], ts["vatPercent"]) == (D("100.00"), "2", D(25))
    discount = rows[2]
    assert discount["priceExclVAT"] == D("-20.00") and discount["vatPercent"] == D(25)
    assert discount["articleName"] == "Rabatt HOST10 5 %"  # 20 of 400 in goods
    assert rows[3]["priceExclVAT"] == D("49.00")


def test_discount_per_item_when_that_setting_is_on():
    rows = order_rows(make_order(), settings(discount_percent_per_item=True))
    assert [r["articleNo"] for r in rows] == ["TS-1", "RABATT", "BOK-1", "FRAKT"]
    item_discount = rows[1]
    assert item_discount["articleName"] == "Rabatt 10 % TS-1"
    assert (item_discount["priceExclVAT"], item_discount["noOfItems"]) == (D("-10.00"), "2")


def test_order_discount_is_split_per_vat_rate():
    order = make_order()
    order.rows[1] = msgspec.structs.replace(order.rows[1], discount_ex_vat=D("10.00"))
    discounts = [r for r in order_rows(order, settings()) if r["articleNo"] == "RABATT"]
    assert [(r["vatPercent"], r["priceExclVAT"]) for r in discounts] == [(D(6), D("-10.00")), (D(25), D("-20.00"))]


def test_configured_article_numbers_are_used():
    order = make_order(rows=make_order().rows + [
        PaymentFeeRow(name="Fakturaavgift", unit_price_ex_vat=D("29.00"), vat_percent=D(25)),
        GiftCardRow(name="Presentkort", unit_price_ex_vat=D("150.00"), code="GC-1"),
    ])
    rows = by_article(order_rows(order, settings(shipping_article_no="SHIP", payment_fee_article_no="FEE",
                                                  gift_card_article_no="GIFT", discount_article_no="DISC")))
    assert set(rows) == {"TS-1", "BOK-1", "DISC", "SHIP", "FEE", "GIFT"}
    assert rows["GIFT"]["priceExclVAT"] == D("-150.00")  # a gift card pays: a negative row


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
    assert sent[article_no]["priceExclVAT"] == D(0)


def test_zero_cod_row_is_added_only_for_cash_on_delivery():
    on = settings(include_zero_cod_fee=True)
    assert "POSTFORSKOTT" in by_article(order_rows(make_order(payment=Payment(method="cod")), on))
    assert "POSTFORSKOTT" not in by_article(order_rows(make_order(), on))


def test_payment_type_reference_delivery_key_and_mail_flags():
    fields, notes = order_fields(make_order(), settings(send_order_mail=True, delivery_methods={"flat_rate:3": "PN-1"}), "C-9")
    assert fields["customerId"] == "C-9"
    assert fields["payTypeIdentifier"] == "K" and fields["payTypeReference"] == "kl-abc-123"
    assert fields["isPrepayment"] == "1"
    assert fields["externalDeliveryMethod"] == "PN-1"
    assert fields["sendOrderMail"] == "1" and fields["sendOrderMailToUser"] == "0"
    assert fields["externalOrderNo"] == "501"
    assert fields["publishedComment"] == "Lämna vid dörren"
    assert "internalComment" not in fields and notes == []


def test_unmapped_delivery_method_sends_the_shop_id_and_prefix_applies():
    fields, _ = order_fields(make_order(), settings(external_order_prefix="W1-"), "C-9")
    assert fields["externalDeliveryMethod"] == "flat_rate:3"
    assert fields["externalOrderNo"] == "W1-501"


def test_custom_customer_fields_only_when_set():
    fields, _ = order_fields(make_order(), settings(include_customer_fields=True), "C-9")
    assert fields["internalComment"] == "Leveransinstruktion: Ring på"


def test_too_long_reference_is_shortened_and_noted():
    fields, notes = order_fields(make_order(customer_reference="R" * 80), settings(), "C-9")
    assert fields["customerOrderReference"] == "R" * 50
    assert notes == ["customerOrderReference shortened from 80 to 50 characters"]


def test_company_name_in_address_line_1():
    customer = make_order().customer
    assert as_sent(customer, False).address.line1 == "Storgatan 1"
    moved = as_sent(customer, True)
    assert (moved.address.line1, moved.address.line2) == ("Öberg AB", "Storgatan 1")
