"""Contract v1 events and objects, decoded in the adapter."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adapters.legacy_php import decode
from gateway.errors import RejectedRequest
from gateway.model import CashOnDeliveryRow


def body(**fields) -> bytes:
    return json.dumps({"version": 1, **fields}).encode()


def test_object_events_and_export_requests():
    [event] = decode.events(body(event="order.updated", id="42"))
    assert (event.object, event.action, event.object_id) == ("order", "updated", "42")
    [export] = decode.events(body(event="export.products", data={"mode": "all"}))
    assert (export.object, export.action, export.object_id, export.payload["mode"]) == (
        "product",
        "export",
        "all",
        "all",
    )
    [customers] = decode.events(body(event="export.customers"))
    assert (customers.object, customers.payload["mode"]) == ("customer", "new")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (body(event="order.exploded", id="1"), "unknown event"),
        (body(event="order.created"), "no id"),
        (json.dumps({"version": 2, "event": "order.created", "id": "1"}).encode(), "version"),
        (b"not json", "not JSON"),
    ],
)
def test_bad_events_are_refused_saying_why(raw, says):
    with pytest.raises(RejectedRequest, match=says) as caught:
        decode.events(raw)
    assert caught.value.status == 400


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
