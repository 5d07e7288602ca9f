"""Decoding input into the domain model validates it and names the offending field."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.model import (
    DiscountRow,
    InvalidInput,
    Order,
    ProductRow,
    ShippingRow,
    StockLevel,
    convert,
    decode,
    to_builtins,
)
from gateway.settings import GROUP_KEY, SETTING_GROUPS, TenantSettings, article_no_problem


def test_order_rows_are_typed_and_money_is_exact():
    order = decode(
        b'{"shop_id": "42", "rows": ['
        b'{"kind": "product", "article_no": "TS-1", "quantity": 2, "unit_price_ex_vat": 179.1, "vat_percent": "25"},'
        b'{"kind": "shipping", "unit_price_ex_vat": "49.00", "method_id": "flat_rate:1"},'
        b'{"kind": "discount", "unit_price_ex_vat": "-37.7", "code": "SALE"}]}',
        Order,
    )
    product, shipping, discount = order.rows
    assert isinstance(product, ProductRow) and product.unit_price_ex_vat == Decimal("179.1")
    assert isinstance(shipping, ShippingRow) and shipping.method_id == "flat_rate:1"
    assert isinstance(discount, DiscountRow) and discount.unit_price_ex_vat == Decimal("-37.7")
    # Round trip keeps the row kinds and exact amounts.
    again = convert(to_builtins(order), Order)
    assert again == order


@pytest.mark.parametrize(
    "data, field",
    [
        (b'{"rows": []}', None),  # missing shop_id: msgspec names it in the message
        (b'{"shop_id": "1", "rows": [{"kind": "product", "vat_percent": "125"}]}', "$.rows[0]"),
        (b'{"shop_id": "1", "rows": [{"kind": "teleport"}]}', "$.rows[0].kind"),
        (b'{"shop_id": "1", "state": "lost"}', "$.state"),
        (b'{"shop_id": "1", "currency": 5}', "$.currency"),
    ],
)
def test_invalid_order_names_the_field(data, field):
    with pytest.raises(InvalidInput) as info:
        decode(data, Order)
    if field:
        assert info.value.field == field
        assert field in str(info.value)
        if b"vat_percent" in data:
            assert "vat_percent must be between 0 and 100" in str(info.value)
    else:
        assert "shop_id" in str(info.value)


def test_not_json_is_a_clear_error():
    with pytest.raises(InvalidInput, match="not valid JSON"):
        decode(b"<html>", Order)


def test_stock_level_needs_an_article_number():
    with pytest.raises(InvalidInput) as info:
        convert({"article_no": "", "available": 3}, StockLevel)
    assert info.value.field == "$.article_no"


def test_settings_defaults_follow_the_connectors():
    s = TenantSettings()
    assert s.delete_from_specter is True  # "Delete from Specter" is true by default
    assert s.order_export == "on_placement"  # orders go to Specter when placed
    assert not s.ignore_control_email and not s.ignore_control_org_no  # Specter checks both
    assert not s.include_zero_shipping and not s.include_zero_payment_fee and not s.include_zero_cod_fee
    assert not s.import_products and not s.import_price_only
    assert s.payment_types["klarna_payments"] == "K" and s.payment_types["dibs_easy"] == "DP"


def test_every_setting_has_a_label_a_group_and_help_text():
    properties = msgspec.json.schema(TenantSettings)["$defs"]["TenantSettings"]["properties"]
    assert list(properties) == list(TenantSettings.__struct_fields__)
    for name, schema in properties.items():
        assert schema.get("title", "").strip(), name
        assert schema.get("description", "").strip(), name
        assert schema.get(GROUP_KEY) in SETTING_GROUPS, name
    # Fields are declared group by group, in the groups' order.
    groups = [schema[GROUP_KEY] for schema in properties.values()]
    assert sorted(groups, key=SETTING_GROUPS.index) == groups


def test_unknown_setting_is_refused():
    with pytest.raises(msgspec.ValidationError, match="no_such"):
        msgspec.convert({"no_such": 1}, TenantSettings)


@pytest.mark.parametrize("bad", ["A B", "A,B", "ÅB", "A&B", "A%B", "A¤B", "A#B", "A€B", "ä", "ö"])
def test_article_numbers_specter_cannot_take_are_explained(bad):
    problem = article_no_problem(bad)
    assert problem is not None and repr(bad) in problem


def test_empty_article_number():
    assert article_no_problem("") == "has no article number"


@given(st.from_regex(r"[A-Za-z0-9_\-]{1,30}", fullmatch=True))
def test_every_allowed_article_number_passes(article_no):
    assert article_no_problem(article_no) is None
