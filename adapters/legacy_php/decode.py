"""Contract JSON (v1 and v2, see README.md) to the domain model, and inbound events to ShopEvents.

Money is a decimal string ex VAT (``"100.00"``), VAT a percent (``"25"``); both are read as
exact Decimals whatever the PHP side sent (a number works too). What v2 adds (variants, gift
cards, custom fields, the buyer's organisation number) is read wherever it appears: a v1 shop
never sends it, so a v1 answer decodes exactly as before.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from gateway.errors import RejectedRequest
from gateway.model import (
    Address,
    Article,
    ArticleGroup,
    CashOnDeliveryRow,
    Customer,
    GiftCardRow,
    InvalidInput,
    Order,
    OrderRow,
    OrderState,
    Payment,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
    ShopAction,
    ShopEvent,
    ShopObject,
)

VERSIONS = (1, 2)  # the contract versions this gateway speaks
_CHANGES: tuple[ShopAction, ...] = ("created", "updated", "deleted")
OBJECT_EVENTS: dict[str, tuple[ShopObject, ShopAction]] = {
    **{f"{o}.{a}": (o, a) for o in ("order", "product") for a in _CHANGES},
    "customer.created": ("customer", "created"), "customer.updated": ("customer", "updated")}
# Bulk export asked for by the shop (export_products.php): an "export" action on "all".
EXPORT_EVENTS: dict[str, ShopObject] = {"export.products": "product", "export.customers": "customer"}
STATES: dict[str, OrderState] = {
    "pending": "pending", "processing": "processing", "on_hold": "on_hold", "completed": "completed",
    "cancelled": "cancelled", "refunded": "refunded", "failed": "failed", "draft": "draft",
}


def dec(value: Any, where: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(f"{value!r} is not a number", where) from None


def _s(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


# --- Inbound events ---------------------------------------------------------------------------


def events(body: bytes, contract_version: int) -> list[ShopEvent]:
    """The ShopEvents in one verified event body, for a tenant set to ``contract_version``;
    :class:`RejectedRequest` for a bad one.

    A tenant takes events of its version and older ones (a v2 tenant still hears a v1 script
    left in a cron job), never newer: a v1 tenant hearing a v2 event has shop scripts newer than
    its setting, and is told which setting to change. A v2 event must carry a ``nonce``, which
    becomes its dedupe key: the event log then stores a replayed event once, whichever gateway
    process receives it and after a restart too (the in-memory replay guard is per process)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise RejectedRequest(400, "event body is not JSON") from None
    if not isinstance(data, dict):
        raise RejectedRequest(400, "event body is not a JSON object")
    version = data.get("version")
    if type(version) is not int or version not in VERSIONS:  # not True, not 1.0
        raise RejectedRequest(400, f"unsupported contract version {version!r}; this gateway speaks 1 and 2")
    if version > contract_version:
        raise RejectedRequest(400, f"a contract version {version} event, but this tenant is set to contract version "
                                   f"{contract_version}: set the tenant's shop setting contract_version={version}")
    nonce = data.get("nonce")
    if version >= 2 and not (isinstance(nonce, str) and nonce.strip()):
        raise RejectedRequest(400, "a contract version 2 event needs a nonce (a random string)")
    dedupe_key = f"nonce:{nonce}" if version >= 2 else None
    name = str(data.get("event", ""))
    extra: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else {}
    if name in EXPORT_EVENTS:
        mode = extra.get("mode", "new")
        if mode not in ("new", "all"):
            raise RejectedRequest(400, f"export mode must be 'new' or 'all', not {mode!r}")
        return [ShopEvent(object=EXPORT_EVENTS[name], action="export", object_id="all",
                          payload={"event": name, "mode": mode}, dedupe_key=dedupe_key)]
    if name not in OBJECT_EVENTS:
        raise RejectedRequest(400, f"unknown event {name!r}")
    object_id = _s(data, "id").strip()
    if not object_id:
        raise RejectedRequest(400, f"event {name} has no id")
    obj, action = OBJECT_EVENTS[name]
    return [ShopEvent(object=obj, action=action, object_id=object_id,
                      payload={"event": name, **extra}, dedupe_key=dedupe_key)]


# --- Objects ----------------------------------------------------------------------------------


def group(data: dict[str, Any] | None) -> ArticleGroup | None:
    if not data or not data.get("name"):
        return None
    return ArticleGroup(code=_s(data, "id") or _s(data, "name"), name=_s(data, "name"))


def own_fields(data: dict[str, Any], where: str) -> dict[str, str]:
    """A shop's own fields (``custom_fields``: name to value); absent is none."""
    value = data.get("custom_fields")
    if value in (None, [], ""):  # PHP encodes an empty array as []
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"custom_fields must be an object of name: value, not {type(value).__name__}",
                           f"{where}.custom_fields")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def articles(data: dict[str, Any]) -> list[Article]:
    """A product as the articles it is sold as: itself, or (a product with ``variants``) one
    per variant, each with its own article number and the product as its parent."""
    variants = data.get("variants") or []
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise InvalidInput("variants must be a list of products", "$.variants")
    if not variants:
        return [article(data)]
    # What a variant leaves out (or empty), it has of its product: name, VAT, weight, category, ...
    inherited = {k: data.get(k) for k in ("name", "vat", "weight", "description", "category")}
    parent_id = _s(data, "id")
    return [article(inherited | {k: x for k, x in v.items() if x not in (None, "")} | {"parent_id": parent_id})
            for v in variants]


def article(data: dict[str, Any]) -> Article:
    stock = data.get("stock")
    weight = data.get("weight")
    return Article(
        article_no=_s(data, "sku"),
        name=_s(data, "name"),
        price_ex_vat=dec(data.get("price"), "$.price"),
        vat_percent=dec(data.get("vat", 25), "$.vat"),
        weight_kg=None if weight in (None, "") else dec(weight, "$.weight"),
        barcode=_s(data, "barcode"),
        description=_s(data, "description"),
        stock=None if stock is None else int(stock),
        manage_stock=stock is not None,
        group=group(data.get("category")),
        shop_id=_s(data, "id"),
        parent_shop_id=_s(data, "parent_id") or None,
        is_package=bool(data.get("is_package")),
    )


def address(data: dict[str, Any] | None) -> Address:
    data = data or {}
    return Address(line1=_s(data, "line1"), line2=_s(data, "line2"), zip_code=_s(data, "zip"), city=_s(data, "city"),
                   country_code=_s(data, "country") or "SE", company=_s(data, "company"),
                   first_name=_s(data, "first_name"), last_name=_s(data, "last_name"))


def customer(data: dict[str, Any], where: str = "$") -> Customer:
    delivery = data.get("delivery_address")
    return Customer(
        shop_id=_s(data, "id"), first_name=_s(data, "first_name"), last_name=_s(data, "last_name"),
        company=_s(data, "company"), org_no=_s(data, "org_no"), vat_no=_s(data, "vat_no"), email=_s(data, "email"),
        phone=_s(data, "phone"), mobile=_s(data, "mobile"),
        address=address({"first_name": data.get("first_name"), "last_name": data.get("last_name"),
                         "company": data.get("company"), **(data.get("address") or {})}),
        delivery_address=address(delivery) if delivery else None,
        custom_fields=own_fields(data, where),
    )


def order(data: dict[str, Any], cod_methods: list[str]) -> Order:
    rows: list[OrderRow] = []
    for n, row in enumerate(data.get("rows") or []):
        rows.append(ProductRow(
            name=_s(row, "name"), quantity=dec(row.get("quantity", 1), f"$.rows[{n}].quantity"),
            unit_price_ex_vat=dec(row.get("price"), f"$.rows[{n}].price"),
            vat_percent=dec(row.get("vat", 25), f"$.rows[{n}].vat"), article_no=_s(row, "sku"),
            shop_product_id=_s(row, "product_id"), discount_ex_vat=dec(row.get("discount"), f"$.rows[{n}].discount")))
    shipping = data.get("shipping") or {}
    if shipping:
        rows.append(ShippingRow(name=_s(shipping, "name") or "Frakt", method_id=_s(shipping, "method"),
                                unit_price_ex_vat=dec(shipping.get("price"), "$.shipping.price"),
                                vat_percent=dec(shipping.get("vat", 25), "$.shipping.vat")))
    payment = data.get("payment") or {}
    method = _s(payment, "method")
    if payment.get("fee") not in (None, ""):
        kind = CashOnDeliveryRow if method in cod_methods else PaymentFeeRow
        rows.append(kind(name=_s(payment, "title") or "Avgift", unit_price_ex_vat=dec(payment["fee"], "$.payment.fee"),
                         vat_percent=dec(payment.get("fee_vat", 25), "$.payment.fee_vat")))
    for n, card in enumerate(data.get("gift_cards") or []):
        if not isinstance(card, dict):
            raise InvalidInput("a gift card must be an object {code, amount}", f"$.gift_cards[{n}]")
        # What the card paid, off the order: a means of payment, so no VAT of its own.
        code = _s(card, "code")
        rows.append(GiftCardRow(name=f"Presentkort {code}".strip(), code=code, vat_percent=Decimal(0),
                                unit_price_ex_vat=-abs(dec(card.get("amount"), f"$.gift_cards[{n}].amount"))))
    buyer = customer(data.get("customer") or {}, "$.customer")
    created = data.get("created_at")
    state = STATES.get(_s(data, "status"), "pending")
    return Order(
        shop_id=_s(data, "id"), number=_s(data, "number") or _s(data, "id"), state=state,
        currency=_s(data, "currency") or "SEK",
        created_at=dt.datetime.fromisoformat(created) if isinstance(created, str) and created else None,
        customer=buyer, billing=buyer.address, shipping=buyer.delivery_address, rows=rows,
        payment=Payment(method=method, title=_s(payment, "title"), transaction_id=_s(payment, "reference")),
        delivery_method_id=_s(shipping, "method"), customer_note=_s(data, "note"),
        specter_order_no=_s(data, "specter_order_no"), custom_fields=own_fields(data, "$"),
    )


def product_body(item: Article, fields: frozenset[str]) -> dict[str, Any]:
    """An Article as the shop's ``upsert_product`` takes it: the chosen fields only."""
    body: dict[str, Any] = {"sku": item.article_no}
    chosen = {"name": item.name, "price": item.price_ex_vat, "vat": item.vat_percent, "stock": item.stock,
              "weight": item.weight_kg, "description": item.description}
    names = {"name": "name", "price": "price_ex_vat", "vat": "vat_percent", "stock": "stock", "weight": "weight_kg",
             "description": "description"}
    for key, value in chosen.items():
        if names[key] in fields and value is not None:
            body[key] = value
    return body
