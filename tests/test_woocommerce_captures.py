"""The adapter against what a real WooCommerce 9.2.5 answered and sent (tests/fixtures/woocommerce).

Every captured product, variation, customer and order decodes into the domain model with exact
money; every signed delivery passes the signature check; the OAuth signer reproduces every
captured signature. A failure here means the adapter drifted from the real shop.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from adapters.woocommerce import decode, oauth
from adapters.woocommerce.plugin import WooCommerceConnection, WooShop, decode_shop_request
from adapters.woocommerce.webhooks import sign
from gateway.adapter import InboundRequest
from gateway.errors import RejectedRequest
from gateway.model import CashOnDeliveryRow, GiftCardRow, InvalidInput, PaymentFeeRow, ProductRow, ShippingRow
from gateway.settings import TenantSettings

CAPTURES = Path(__file__).resolve().parent / "fixtures" / "woocommerce"
WEBHOOK_SECRET = "wooreal-webhook-secret-123"
CONSUMER_SECRET = "cs_a9829655964a340c43bef4a520b8729c464c709c"


def _kind(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return None
    if "line_items" in obj and "number" in obj:
        return "order"
    if "username" in obj and "billing" in obj:
        return "customer"
    if obj.get("type") in ("simple", "variable", "variation", "grouped", "external"):
        return "product"
    return None


def _captured_objects() -> list[Any]:
    found = []
    for path in sorted((CAPTURES / "rest").glob("*.json")):
        capture = json.loads(path.read_text())
        if not isinstance(capture, dict) or not (capture.get("response") or {}).get("body_raw"):
            continue
        body = decode.loads(capture["response"]["body_raw"])
        is_batch = isinstance(body, dict) and "update" in body
        batch = [x for part in ("create", "update", "delete") for x in body.get(part, [])] if is_batch else None
        for n, obj in enumerate(batch if batch is not None else body if isinstance(body, list) else [body]):
            if _kind(obj):
                found.append(pytest.param(_kind(obj), obj, id=f"{path.stem}[{n}]"))
    for path in sorted((CAPTURES / "deliveries").glob("*.json")):
        delivery = json.loads(path.read_text())
        if delivery["body_raw"].startswith("{"):
            obj = decode.loads(delivery["body_raw"])
            if _kind(obj):
                found.append(pytest.param(_kind(obj), obj, id=f"delivery-{path.stem}"))
    return found


def _deliveries() -> list[Any]:
    paths = sorted((CAPTURES / "deliveries").glob("*.json"))
    return [pytest.param(json.loads(p.read_text()), id=p.stem) for p in paths]


def _inbound(delivery: dict[str, Any], body: bytes | None = None) -> InboundRequest:
    return InboundRequest(method=delivery["method"], path=delivery["path"],
                          headers={k.lower(): v for k, v in delivery["headers"]}, query={},
                          body=delivery["body_raw"].encode() if body is None else body)


@pytest.fixture
def shop() -> WooShop:
    connection = WooCommerceConnection(url="http://127.0.0.1:8890/", consumer_key="ck_x",
                                       consumer_secret=CONSUMER_SECRET, webhook_secret=WEBHOOK_SECRET)
    return WooShop("captured", connection, client=None, settings=TenantSettings())  # type: ignore[arg-type]


def test_the_captures_are_there():
    # Guards the parametrized tests below against silently finding nothing.
    kinds = [p.values[0] for p in _captured_objects()]
    assert kinds.count("order") >= 20 and kinds.count("product") >= 40 and kinds.count("customer") >= 5


@pytest.mark.parametrize(("kind", "obj"), _captured_objects())
def test_every_captured_object_decodes(kind: str, obj: dict[str, Any]):
    if kind == "order":
        order = decode.order(obj)
        assert order.shop_id == str(obj["id"]) and order.number == obj["number"]
        products = [r for r in order.rows if isinstance(r, ProductRow)]
        assert [r.article_no for r in products] == [line["sku"] for line in obj["line_items"]]
        for row, line in zip(products, obj["line_items"], strict=True):
            # Before discount times quantity, less the spread coupon, is the line's exact total.
            assert row.unit_price_ex_vat * row.quantity - row.discount_ex_vat == Decimal(line["total"])
            assert row.vat_percent == 25
        net = sum((r.unit_price_ex_vat * r.quantity - getattr(r, "discount_ex_vat", 0) for r in order.rows), Decimal(0))
        assert net == Decimal(obj["total"]) - Decimal(obj["total_tax"])
        assert order.customer.email == obj["billing"]["email"]
    elif kind == "product":
        articles = decode.articles(obj)
        if obj["type"] == "variable":
            assert articles == []  # a variable product is its variations, fetched separately
        else:
            (article,) = articles
            assert article.article_no == obj["sku"] and article.shop_id == str(obj["id"])
            assert article.price_ex_vat == (Decimal(obj["regular_price"]) if obj["regular_price"] else None)
            assert article.stock == obj["stock_quantity"]
            assert article.vat_percent == 25
            assert (article.parent_shop_id is not None) == (obj["type"] == "variation")
    else:
        customer = decode.customer(obj)
        assert customer.shop_id == str(obj["id"]) and customer.email == obj["email"]
        assert customer.company == obj["billing"]["company"]


def test_a_json_number_price_is_decoded_exactly():
    raw = json.loads((CAPTURES / "rest" / "order_create_processing.json").read_text())["response"]["body_raw"]
    data = decode.loads(raw)
    assert data["line_items"][1]["price"] == Decimal("179.1")
    order = decode.order(data)
    shirt = order.rows[1]
    assert isinstance(shirt, ProductRow)
    assert (shirt.unit_price_ex_vat, shirt.discount_ex_vat, shirt.comment) == (Decimal("199.00"), Decimal("19.90"), "S")
    assert shirt.unit_price_ex_vat - shirt.discount_ex_vat == Decimal("179.1")
    assert order.discount_codes == ["rabatt10"]
    assert order.payment.transaction_id == "kco-7f1c2e90-1234-4abc-9def-0123456789ab"
    assert order.customer_note == "Lämna paketet hos grannen, tack!"
    assert order.custom_fields == {"erp_sync": "pending"}  # "_kco_order_id" is internal
    assert order.delivery_method_id == "flat_rate"
    assert isinstance(order.rows[3], PaymentFeeRow) and order.rows[3].unit_price_ex_vat == Decimal("29.00")


def test_a_shipping_line_is_keyed_by_its_method_and_instance():
    raw = json.loads((CAPTURES / "rest" / "order_create_processing.json").read_text())["response"]["body_raw"]
    data = decode.loads(raw)
    assert [(s["method_id"], s["instance_id"]) for s in data["shipping_lines"]] == [("flat_rate", "")]
    assert decode.order(data).delivery_method_id == "flat_rate"  # added over REST: no zone, no instance
    for instance, key in (("3", "flat_rate:3"), ("4", "flat_rate:4"), ("0", "flat_rate")):
        data["shipping_lines"][0]["instance_id"] = instance  # as a checkout in a shipping zone sets it
        order = decode.order(data)
        assert order.delivery_method_id == key
        assert [r.method_id for r in order.rows if isinstance(r, ShippingRow)] == [key]


def test_variations_take_their_parents_name_and_tax_class():
    rest = CAPTURES / "rest"
    parent = json.loads((rest / "product_get_variable.json").read_text())["response"]["body_raw"]
    variations = json.loads((rest / "product_variations_list.json").read_text())["response"]["body_raw"]
    articles = decode.articles(decode.loads(parent), decode.loads(variations))
    assert sorted((a.article_no, a.name, a.parent_shop_id) for a in articles) == [
        ("TSHIRT-M", "T-shirt Logo - M", "13"), ("TSHIRT-S", "T-shirt Logo - S", "13")]
    assert all(a.vat_percent == 25 for a in articles)


def test_order_states_guests_org_numbers_and_cash_on_delivery():
    raw = json.loads((CAPTURES / "rest" / "order_get_after_trash.json").read_text())["response"]["body_raw"]
    data = decode.loads(raw)
    assert decode.order(data).state == "deleted"
    data.update(status="checkout-draft", customer_id=0, payment_method="cod")
    data["meta_data"].append({"id": 9, "key": "_billing_org_no", "value": "556677-8899"})
    data["fee_lines"].append({"name": "Presentkort", "total": "-100.00", "total_tax": "0.00", "taxes": []})
    order = decode.order(data, cash_on_delivery_methods=["cod"])
    assert order.state == "draft" and order.customer.shop_id == "" and order.customer.org_no == "556677-8899"
    assert [type(r) for r in order.rows[-2:]] == [CashOnDeliveryRow, GiftCardRow]
    assert order.rows[-1].unit_price_ex_vat == Decimal("-100.00")


def test_malformed_input_names_the_field():
    raw = json.loads((CAPTURES / "rest" / "order_get.json").read_text())["response"]["body_raw"]
    data = decode.loads(raw)
    data["line_items"][0]["subtotal"] = "lots"
    with pytest.raises(InvalidInput) as caught:
        decode.order(data)
    assert caught.value.field == "$.line_items[0].subtotal"
    with pytest.raises(InvalidInput) as caught:
        decode.articles({"id": 1, "type": "simple", "regular_price": "12,50"})
    assert caught.value.field == "$.regular_price"


@pytest.mark.parametrize("delivery", _deliveries())
def test_every_captured_delivery_is_verified(delivery: dict[str, Any], shop: WooShop):
    assert len(delivery["body_raw"].encode()) == delivery["body_len"]  # the raw bytes, unchanged
    request = _inbound(delivery)
    events = decode_shop_request(shop, request)
    topic = request.headers.get("x-wc-webhook-topic")
    if topic is None:
        assert events == []  # a ping, answered 200
        return
    (event,) = events
    body = json.loads(delivery["body_raw"])
    assert f"{event.object}.{event.action}" == topic and event.object_id == str(body["id"])
    assert event.dedupe_key.startswith(f"{topic}:{body['id']}:")


def test_sixty_four_deliveries_are_signed():
    signed = [d for d in _deliveries() if any(k == "X-WC-Webhook-Signature" for k, _ in d.values[0]["headers"])]
    assert len(signed) == 64


def test_a_repeated_delivery_has_the_same_dedupe_key(shop: WooShop):
    # The same delivery sent again gets a new delivery id; it must still be recognised.
    first, again = (json.loads((CAPTURES / "deliveries" / f"{n}.json").read_text()) for n in ("017", "017"))
    again["headers"] = [[k, "0" * 32 if k == "X-WC-Webhook-Delivery-ID" else v] for k, v in again["headers"]]
    def dedupe_key(delivery: dict[str, Any]) -> str:
        return decode_shop_request(shop, _inbound(delivery))[0].dedupe_key

    assert dedupe_key(first) == dedupe_key(again)


def test_two_changes_within_one_second_are_two_events(shop: WooShop):
    # date_modified_gmt has whole seconds: a second change in the same second must not be
    # taken for a repeat of the first.
    first = json.loads((CAPTURES / "deliveries" / "017.json").read_text())
    changed = dict(first, body_raw=first["body_raw"].replace('"status":"processing"', '"status":"completed"'))
    secret = "wooreal-webhook-secret-123"
    changed["headers"] = [[k, sign(changed["body_raw"].encode(), secret) if k == "X-WC-Webhook-Signature" else v]
                          for k, v in first["headers"]]
    first_key = decode_shop_request(shop, _inbound(first))[0].dedupe_key
    assert first_key != decode_shop_request(shop, _inbound(changed))[0].dedupe_key


def test_a_tampered_or_unsigned_delivery_is_refused(shop: WooShop):
    delivery = json.loads((CAPTURES / "deliveries" / "017.json").read_text())
    tampered = delivery["body_raw"].replace('"total":"521.63"', '"total":"1.00"').encode()
    with pytest.raises(RejectedRequest) as caught:
        decode_shop_request(shop, _inbound(delivery, tampered))
    assert caught.value.status == 401 and WEBHOOK_SECRET not in caught.value.message
    # Re-encoding the JSON (unescaping "\/" and "\u00e4") breaks the signature too.
    reencoded = json.dumps(json.loads(delivery["body_raw"]), separators=(",", ":"), ensure_ascii=False).encode()
    with pytest.raises(RejectedRequest):
        decode_shop_request(shop, _inbound(delivery, reencoded))
    unsigned = {**delivery, "headers": [h for h in delivery["headers"] if h[0] != "X-WC-Webhook-Signature"]}
    with pytest.raises(RejectedRequest) as caught:
        decode_shop_request(shop, _inbound(unsigned))
    assert caught.value.status == 401


def test_unknown_topic_and_non_json_body_are_bad_requests(shop: WooShop):
    from adapters.woocommerce.webhooks import sign

    delivery = json.loads((CAPTURES / "deliveries" / "017.json").read_text())
    coupon = {**delivery, "headers": [[k, "coupon.created" if k == "X-WC-Webhook-Topic" else v]
                                      for k, v in delivery["headers"]]}
    with pytest.raises(RejectedRequest) as caught:
        decode_shop_request(shop, _inbound(coupon))
    assert caught.value.status == 400
    body = b"<html>not json</html>"
    broken = {**delivery, "headers": [[k, sign(body, WEBHOOK_SECRET) if k == "X-WC-Webhook-Signature" else v]
                                      for k, v in delivery["headers"]]}
    with pytest.raises(RejectedRequest) as caught:
        decode_shop_request(shop, _inbound(broken, body))
    assert caught.value.status == 400


def _oauth_requests() -> list[Any]:
    found = []
    for path in sorted((CAPTURES / "rest").glob("*.json")):
        capture = json.loads(path.read_text())
        if isinstance(capture, dict) and "oauth_signature=" in capture.get("request", {}).get("url", "") \
                and "wrong_secret" not in path.stem:
            found.append(pytest.param(capture["request"], id=path.stem))
    return found


@pytest.mark.parametrize("request_", _oauth_requests())
def test_the_oauth_signer_reproduces_every_captured_signature(request_: dict[str, Any]):
    url = urlsplit(request_["url"])
    params = dict(parse_qsl(url.query, keep_blank_values=True))
    captured = params.pop("oauth_signature")
    base = f"{url.scheme}://{url.netloc}{url.path}"
    if params["oauth_signature_method"] == "HMAC-SHA256":
        others = {k: v for k, v in params.items() if not k.startswith("oauth_")}
        signed = oauth.sign(request_["method"], base, others, params["oauth_consumer_key"], CONSUMER_SECRET,
                            nonce=params["oauth_nonce"], timestamp=int(params["oauth_timestamp"]))
        assert signed["oauth_signature"] == captured
    else:
        assert oauth.signature(request_["method"], base, params, CONSUMER_SECRET, "HMAC-SHA1") == captured


def test_there_are_oauth_captures_to_check():
    assert len(_oauth_requests()) > 100
