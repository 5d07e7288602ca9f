"""Abicart objects to the domain model and back, in each form the documentation leaves open:
prices per currency inc or ex VAT, tiers inside or beside the Price, variants naming their
options either way, discounts in an item's costs or its discountInfo, listener calls of any body."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.abicart import decode, encode, listeners, order_status
from gateway.adapter import InboundRequest
from gateway.errors import PermanentError, RejectedRequest
from gateway.model import Article, CashOnDeliveryRow, DiscountRow, ProductRow

WITH_VAT = decode.ShopInfo(price_stored_with_vat=True)
WITHOUT_VAT = decode.ShopInfo(price_stored_with_vat=False)
UNSAID = decode.ShopInfo(price_stored_with_vat=None)


def article(**fields) -> dict:
    return {"uid": 11, "articleNumber": "TS-1", "name": {"sv": "Tröja"}, "vatRate": Decimal("0.25"), **fields}


@pytest.mark.parametrize(("info", "data", "price", "sale"), [
    # As written: per currency, in the shop's storage mode.
    (WITH_VAT, {"price": {"regular": {"SEK": 125}, "specialOffer": {"SEK": 100}}}, Decimal("100.00"), Decimal("80.00")),
    (WITHOUT_VAT, {"price": {"regular": {"SEK": 100}, "specialOffer": None}}, Decimal(100), None),
    # Tiers inside the Price object rather than beside it.
    (WITH_VAT, {"price": {"pricing": [{"qtyFloor": 1, "regular": {"SEK": 250}}]}}, Decimal("200.00"), None),
    # The Price as one money object.
    (UNSAID, {"price": {"incVat": 125, "exVat": 100, "vat": 25, "vatRate": 0.25}}, Decimal(100), None),
    # A bare number.
    (WITH_VAT, {"pricing": [{"qtyFloor": 1, "regular": 62.5}]}, Decimal("50.00"), None),
])
def test_prices_in_every_plausible_form(info, data, price, sale):
    found = decode.article(article(**data), info)
    assert (found.price_ex_vat, found.sale_price_ex_vat) == (price, sale)


def test_a_price_without_its_vat_handling_is_refused_naming_it():
    with pytest.raises(PermanentError, match="priceStoredWithVat"):
        decode.article(article(price={"regular": {"SEK": 125}}), UNSAID)


def test_vat_given_as_a_percent_is_taken_as_one():
    assert decode.article(article(vatRate=25, pricing=[]), WITH_VAT).vat_percent == Decimal(25)


def test_a_variant_naming_its_options_as_a_list_gets_their_names_and_prices():
    parent = article(choices=[5], choiceOptions={"5": [{"uid": 61, "name": {"sv": "Blå"}}, 62]},
                     choiceOptionPrices={"61": {"SEK": 25}}, pricing=[{"qtyFloor": 1, "regular": {"SEK": 125}}])
    names = decode.option_names(parent, "sv")
    blue, plain = decode.articles(parent, [{"uid": 21, "article": 11, "articleNumber": "TS-1-B", "stock": 2,
                                            "choiceOptions": [61]},
                                           {"uid": 22, "article": 11, "articleNumber": "TS-1-X", "stock": 0,
                                            "choiceOptions": [62]}], WITH_VAT, names)
    assert (blue.name, blue.price_ex_vat, blue.stock) == ("Tröja Blå", Decimal("120.00"), 2)
    assert (plain.name, plain.price_ex_vat) == ("Tröja", Decimal("100.00"))  # no name, no extra price


def test_a_product_package_is_marked_so_it_is_never_exported():
    from gateway.engine.products import export_problem

    package = decode.article(article(type="package", pricing=[]), WITH_VAT)
    assert package.is_package and "package" in export_problem(package)


def money(ex: str, rate: str = "0.25") -> dict:
    ex_vat, vat_rate = Decimal(ex), Decimal(rate)
    vat = (ex_vat * vat_rate).quantize(Decimal("0.01"))
    return {"incVat": ex_vat + vat, "exVat": ex_vat, "vat": vat, "vatRate": vat_rate, "currency": "SEK"}


ORDER = {"uid": 500, "orderNumber": 1001, "ordered": "2015-01-01 00:00T+01:00", "currency": "SEK",
         "customer": {"address": {"firstName": "Åsa", "lastName": "Öberg"}, "info": {"email": "asa@example.se"}},
         "costs": {"shipment": money("49.00"), "payment": money("20.00")}, "delivery": {"method": {"uid": 7}},
         "payments": [{"method": "invoice", "reference": "inv-1"}]}


def item(total: str, **fields) -> dict:
    return {"uid": 601, "article": 11, "articleNumber": "TS-1", "articleName": "Tröja",
            "costs": {"unit": money("100.00"), "total": money(total)}, **fields}


@pytest.mark.parametrize(("given", "discount"), [
    (item("180.00", choices={"5": 61, "quantity": 2}), Decimal("20.00")),  # the total lacks it
    (item("200.00", quantity=2, discountInfo={"exVat": Decimal("-30.00")}), Decimal("30.00")),
    (item("200.00", choices={"quantity": 2}, discountInfo={"rate": Decimal("0.1")}), Decimal("20.00")),
])
def test_an_items_quantity_and_discount_from_wherever_the_shop_gives_them(given, discount):
    row = decode.order(ORDER, [given], WITH_VAT, []).rows[0]
    assert isinstance(row, ProductRow)
    assert (row.quantity, row.unit_price_ex_vat, row.discount_ex_vat) == (Decimal(2), Decimal("100.00"), discount)


def test_what_the_total_lacks_of_the_rows_is_one_discount_row_with_its_vat():
    # Rows: 200 + 49 + 20 = 269 ex VAT, 67.25 VAT; the order says 249 and 62.25: 20 off at 25 %.
    costs = {**ORDER["costs"], "total": {"exVat": Decimal(249), "vat": Decimal("62.25"), "incVat": Decimal("311.25")}}
    rows = decode.order({**ORDER, "costs": costs}, [item("200.00", choices={"quantity": 2})], WITH_VAT, []).rows
    [discount] = [r for r in rows if isinstance(r, DiscountRow)]
    assert (discount.unit_price_ex_vat, discount.vat_percent) == (Decimal(-20), Decimal(25))
    exact = {**costs, "total": {"exVat": Decimal(269), "vat": Decimal("67.25")}}
    assert not [r for r in decode.order({**ORDER, "costs": exact}, [item("200.00", choices={"quantity": 2})],
                                        WITH_VAT, []).rows if isinstance(r, DiscountRow)]


def test_the_payment_delivery_and_cash_on_delivery():
    order = decode.order(ORDER, [item("100.00")], WITH_VAT, ["cod"])
    assert (order.payment.method, order.payment.transaction_id, order.delivery_method_id) == ("invoice", "inv-1", "7")
    cod = {**ORDER, "payments": [{"method": {"uid": 3, "name": {"sv": "Postförskott"}}}]}
    fees = [r for r in decode.order(cod, [item("100.00")], WITH_VAT, []).rows if isinstance(r, CashOnDeliveryRow)]
    assert [f.unit_price_ex_vat for f in fees] == [Decimal("20.00")]
    assert decode.order(ORDER, [], WITH_VAT, []).created_at.isoformat() == "2015-01-01T00:00:00+01:00"


@pytest.mark.parametrize(("fields", "state"), [
    ({"ordered": None}, "draft"), ({"discarded": True}, "cancelled"), ({"deliveryStatus": "sent"}, "completed"),
    ({"deliveryStatus": "unsent"}, "processing"), ({"deliveryStatus": "delivered"}, "completed"),
])
def test_order_states(fields, state):
    assert decode.order({**ORDER, **fields}, [], WITH_VAT, []).state == state


def test_an_order_in_another_currency_is_refused_naming_it():
    with pytest.raises(PermanentError, match="EUR.*SEK"):
        decode.order({**ORDER, "currency": "EUR"}, [], WITH_VAT, [])


def test_custom_fields_as_an_object_or_a_list():
    assert decode.custom_fields({"Leverans": "2024-05-10", "Tom": ""}, "sv") == {"Leverans": "2024-05-10"}
    assert decode.custom_fields([{"name": {"sv": "Port"}, "value": 1234}], "sv") == {"Port": "1234"}


# --- Writing --------------------------------------------------------------------------------------


def test_prices_are_written_per_currency_as_the_shop_keeps_them():
    art = Article(article_no="A", price_ex_vat=Decimal("99.99"), sale_price_ex_vat=Decimal(80),
                  vat_percent=Decimal(12), weight_kg=Decimal("0.3504"), barcode="735", stock=3)
    every = frozenset(Article.__struct_fields__)
    patch = encode.article_patch(art, every, WITH_VAT)
    assert patch["price"] == {"regular": {"SEK": Decimal("111.99")}, "specialOffer": {"SEK": Decimal("89.60")}}
    assert (patch["vatRate"], patch["weight"], patch["ean"], patch["stock"]) == (
        Decimal("0.12"), 350, "735", {"stock": 3})
    assert encode.article_patch(art, frozenset({"price_ex_vat"}), WITHOUT_VAT) == {
        "price": {"regular": {"SEK": Decimal("99.99")}}}
    with pytest.raises(PermanentError, match="priceStoredWithVat"):
        encode.article_patch(art, every, UNSAID)


def test_an_order_status_is_written_only_where_the_order_does_not_show_it():
    assert order_status.status_patch({"deliveryStatus": "unsent"}, "completed") == {"deliveryStatus": "sent"}
    assert order_status.status_patch({"deliveryStatus": "sent"}, "completed") == {}
    assert order_status.status_patch({"discarded": False}, "cancelled") == {"discarded": True}
    assert order_status.status_patch({"discarded": True}, "cancelled") == {}
    assert order_status.note_with("Ring först", ["PN1", "PN2"], "sv") == "Ring först\nSpårningsnummer: PN1, PN2"
    assert order_status.unnoted("Spårningsnummer: PN1, PN2", ["PN2", "PN1", "PN12"]) == ["PN12"]


# --- Listener calls -------------------------------------------------------------------------------


def call(body: bytes, **query: str) -> InboundRequest:
    return InboundRequest(method="POST", path="/shops/t/events", headers={}, query={"token": "tok", **query},
                          body=body)


@pytest.mark.parametrize("body", [
    b'{"eventName": "Order/created", "uid": 42}', b'{"event": "x", "data": {"uid": "42"}}',
    b'{"jsonrpc": "2.0", "method": "Order/created", "params": [42]}', b"uid=42&event=Order%2Fcreated",
])
def test_a_listener_call_of_any_body_names_its_object(body):
    [event] = listeners.decode_request(call(body, event="Order/created"), "tok")
    assert (event.object, event.action, event.object_id, event.dedupe_key) == (
        "order", "created", "42", "Order/created:42")


def test_a_call_without_a_uid_or_of_an_unknown_class_adds_nothing_and_a_wrong_token_is_refused():
    assert listeners.decode_request(call(b"", event="Order/created"), "tok") == []
    assert listeners.decode_request(call(b"<xml/>", event="Order/created"), "tok") == []
    assert listeners.decode_request(call(b'{"uid": 1}', event="Payment/captured"), "tok") == []
    [discarded] = listeners.decode_request(call(b'{"uid": 1}', event="Order/discarded"), "tok")
    assert (discarded.action, discarded.dedupe_key) == ("deleted", None)
    with pytest.raises(RejectedRequest) as refused:
        listeners.decode_request(call(b'{"uid": 1}', event="Order/created"), "other")
    assert refused.value.status == 401
