"""Contract events and objects (v1 and v2), decoded in the adapter."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adapters.legacy_php import decode
from gateway.errors import RejectedRequest
from gateway.model import CashOnDeliveryRow, GiftCardRow, InvalidInput


def body(**fields) -> bytes:
    return json.dumps({"version": 1, **fields}).encode()


def test_object_events_and_export_requests():
    [event] = decode.events(body(event="order.updated", id="42"), 1)
    assert (event.object, event.action, event.object_id) == ("order", "updated", "42")
    [export] = decode.events(body(event="export.products", data={"mode": "all"}), 1)
    assert (export.object, export.action, export.object_id, export.payload["mode"]) == (
        "product",
        "export",
        "all",
        "all",
    )
    [customers] = decode.events(body(event="export.customers"), 1)
    assert (customers.object, customers.payload["mode"]) == ("customer", "new")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (body(event="order.exploded", id="1"), "unknown event"),
        (body(event="order.created"), "no id"),
        (json.dumps({"version": 3, "event": "order.created", "id": "1"}).encode(), "speaks 1 and 2"),
        (json.dumps({"version": True, "event": "order.created", "id": "1"}).encode(), "version True"),
        (b"not json", "not JSON"),
    ],
)
def test_bad_events_are_refused_saying_why(raw, says):
    with pytest.raises(RejectedRequest, match=says) as caught:
        decode.events(raw, 2)
    assert caught.value.status == 400


def test_a_v2_event_needs_a_nonce_which_makes_a_replay_one_event_and_a_v1_tenant_names_the_setting():
    v2 = {"version": 2, "event": "order.created", "id": "7"}
    with pytest.raises(RejectedRequest, match="needs a nonce"):
        decode.events(json.dumps(v2).encode(), 2)
    [event] = decode.events(json.dumps(v2 | {"nonce": "ab12"}).encode(), 2)
    assert event.dedupe_key == "nonce:ab12"  # the same signed event twice is stored once
    [old] = decode.events(body(event="order.created", id="7", nonce="ab12"), 2)  # a v1 script, still heard
    assert old.dedupe_key is None
    with pytest.raises(RejectedRequest, match="set the tenant's shop setting contract_version=2"):
        decode.events(json.dumps(v2 | {"nonce": "ab12"}).encode(), 1)


def test_money_stays_exact_and_cod_fees_are_their_own_row():
    order = decode.order(
        {
            "id": "7",
            "number": "10007",
            "status": "processing",
            "rows": [{"sku": "A-1", "quantity": 3, "price": "33.33", "vat": "12"}],
            "payment": {"method": "cod", "fee": "39.20"},
        },
        ["cod"],
    )
    row, fee = order.rows
    assert (row.unit_price_ex_vat, row.vat_percent, row.quantity) == (Decimal("33.33"), Decimal(12), Decimal(3))
    assert isinstance(fee, CashOnDeliveryRow) and fee.unit_price_ex_vat == Decimal("39.20")


def test_a_product_with_variants_is_its_variants_each_with_its_own_number():
    shirt = {"id": "5", "sku": "TROJA", "name": "Tröja", "price": "200.00", "vat": "25", "weight": "0.4",
             "category": {"id": "3", "name": "Tröjor"},
             "variants": [{"id": "6", "sku": "TROJA-S", "name": "Tröja S", "price": "200.00", "stock": 4,
                           "parent_id": "5", "weight": None},
                          {"id": "7", "sku": "TROJA-M", "price": "210.00", "stock": 6, "parent_id": "5"}]}
    small, medium = decode.articles(shirt)
    assert [(a.article_no, a.shop_id, a.parent_shop_id, a.stock) for a in (small, medium)] == [
        ("TROJA-S", "6", "5", 4), ("TROJA-M", "7", "5", 6)]
    # What a variant leaves out, it has of its product.
    assert (medium.name, medium.weight_kg, medium.group.name) == ("Tröja", Decimal("0.4"), "Tröjor")
    assert small.name == "Tröja S" and small.weight_kg == Decimal("0.4")
    [plain] = decode.articles({"id": "8", "sku": "KOPP", "price": "50", "variants": []})
    assert (plain.article_no, plain.parent_shop_id) == ("KOPP", None)


def test_gift_cards_custom_fields_and_the_organisation_number_of_a_v2_order():
    order = decode.order(
        {
            "id": "9", "number": "10009", "status": "processing",
            "customer": {"email": "inkop@ek.se", "company": "Ek & Co AB", "org_no": "556677-8899",
                         "custom_fields": {"Kundnummer": "K-77"}},
            "rows": [{"sku": "A-1", "quantity": 1, "price": "400.00"}],
            "gift_cards": [{"code": "GC-1", "amount": "150.00"}, {"code": "GC-2", "amount": -50}],
            "custom_fields": {"Leveransinstruktion": "Ring på"},
        },
        [],
    )
    assert (order.customer.org_no, order.customer.is_company) == ("556677-8899", True)
    cards = [r for r in order.rows if isinstance(r, GiftCardRow)]
    assert [(c.code, c.unit_price_ex_vat, c.vat_percent) for c in cards] == [
        ("GC-1", Decimal("-150.00"), Decimal(0)), ("GC-2", Decimal(-50), Decimal(0))]
    assert order.custom_fields == {"Leveransinstruktion": "Ring på"}
    assert order.customer.custom_fields == {"Kundnummer": "K-77"}
    # PHP writes an empty map as []: no fields.
    assert decode.customer({"email": "a@b.se", "custom_fields": []}).custom_fields == {}


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"id": "1", "custom_fields": ["Kundnummer"]}, "$.custom_fields"),
        ({"id": "1", "customer": {"custom_fields": "K-77"}}, "$.customer.custom_fields"),
        ({"id": "1", "gift_cards": [{"code": "GC-1", "amount": "ett hundra"}]}, "$.gift_cards[0].amount"),
        ({"id": "1", "gift_cards": ["GC-1"]}, "$.gift_cards[0]"),
    ],
)
def test_a_bad_v2_field_is_refused_naming_where(data, where):
    with pytest.raises(InvalidInput) as caught:
        decode.order(data, [])
    assert caught.value.field == where
