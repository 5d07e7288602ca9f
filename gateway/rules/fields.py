"""The fields a rule may test and set, per flow: a name, a kind, how to read it from the flow's
domain object and (for a field a rule may set) how to write it.

Names are the ones a shop owner knows ("payment.method", "country", "total"), not the Structs'
attribute paths; some are derived (``total``, ``delivery_method``, ``country``) and read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from gateway.model import Article, Customer, Order, OrderStatusUpdate, ProductRow, ShippingRow, StockLevel
from gateway.rules.language import Flow

Kind = Literal["text", "number", "bool", "list"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    get: Callable[[Any], Any]
    set: Callable[[Any, Any], None] | None = None  # mutates the (copied) object; None: read-only
    help: str = ""


def _attr(path: str, kind: Kind, help: str = "", settable: bool = True) -> FieldSpec:
    parts = path.split(".")

    def get(obj: Any) -> Any:
        for p in parts:
            obj = getattr(obj, p)
        return obj

    def set_(obj: Any, value: Any) -> None:
        for p in parts[:-1]:
            obj = getattr(obj, p)
        setattr(obj, parts[-1], value)

    return FieldSpec(path, kind, get, set_ if settable else None, help)


def _alias(name: str, path: str, kind: Kind, help: str = "", settable: bool = True) -> FieldSpec:
    spec = _attr(path, kind, help, settable)
    return FieldSpec(name, kind, spec.get, spec.set, help)


def order_total(order: Order) -> Decimal:
    """What the customer pays, VAT included: every row's quantity times its price, less its
    discount, plus VAT."""
    total = Decimal(0)
    for row in order.rows:
        net = row.quantity * row.unit_price_ex_vat
        if isinstance(row, ProductRow):
            net -= row.discount_ex_vat
        total += net * (1 + row.vat_percent / 100)
    return total.quantize(Decimal("0.01"))


def _delivery_method(order: Order) -> str:
    return order.delivery_method_id or next((r.method_id for r in order.rows if isinstance(r, ShippingRow)), "")


def _country(order: Order) -> str:
    return (order.shipping.country_code if order.shipping and order.shipping.country_code
            else order.billing.country_code or order.customer.address.country_code)


def _customer_fields(prefix: str) -> list[FieldSpec]:
    at = f"{prefix}." if prefix else ""
    specs = [_alias(f"{at}{name}", f"{at}{name}", "text") for name in
             ("first_name", "last_name", "company", "org_no", "vat_no", "email", "phone", "mobile", "language")]
    specs.append(FieldSpec(f"{at}is_company", "bool", lambda o: bool(_sub(o, prefix).company),
                           help="the customer is a company (has a company name): a B2B customer"))
    specs.append(_alias(f"{at}country", f"{at}address.country_code", "text", "the customer's country (ISO code)"))
    return specs


def _sub(obj: Any, prefix: str) -> Any:
    return getattr(obj, prefix) if prefix else obj


ORDER_FIELDS: list[FieldSpec] = [
    _attr("shop_id", "text", settable=False), _attr("number", "text", settable=False),
    _attr("state", "text", settable=False), _attr("currency", "text", settable=False),
    FieldSpec("total", "number", order_total, help="what the customer pays, VAT included"),
    FieldSpec("country", "text", _country, help="the delivery country, else the billing country (ISO code)"),
    FieldSpec("delivery_method", "text", _delivery_method, help="the shop's delivery method id"),
    _attr("delivery_method_id", "text"), _attr("customer_note", "text"), _attr("customer_reference", "text"),
    _attr("internal_comment", "text", "Specter's internal comment on the order"),
    _attr("stock_site_id", "text", "the Specter stock site the order is booked on (empty: the tenant's setting)"),
    _attr("webshop_id", "text", "the Specter webshop id of the order (empty: the tenant's setting)"),
    _attr("payment.method", "text", "the shop's payment method id"), _attr("payment.title", "text"),
    _attr("payment.transaction_id", "text", settable=False),
    _alias("billing.country", "billing.country_code", "text", settable=False),
    FieldSpec("shipping.country", "text", lambda o: o.shipping.country_code if o.shipping else ""),
    _attr("discount_codes", "list", settable=False),
    FieldSpec("article_nos", "list", lambda o: [r.article_no for r in o.rows if isinstance(r, ProductRow)],
              help="the article numbers of the product rows"),
    FieldSpec("row_count", "number", lambda o: Decimal(len(o.rows))),
    *_customer_fields("customer"),
]
CUSTOMER_FIELDS: list[FieldSpec] = [_attr("shop_id", "text", settable=False), _attr("currency", "text"),
                                    *_customer_fields("")]
ARTICLE_FIELDS: list[FieldSpec] = [
    _attr("article_no", "text", settable=False), _attr("name", "text"), _attr("price_ex_vat", "number"),
    _attr("sale_price_ex_vat", "number"), _attr("vat_percent", "number"), _attr("weight_kg", "number"),
    _attr("buy_price", "number"), _attr("barcode", "text"), _attr("description", "text"),
    _attr("short_description", "text"), _attr("published", "bool"), _attr("is_package", "bool", settable=False),
    FieldSpec("group", "text", lambda a: a.group.code if a.group else "", help="the article group's code"),
]
STOCK_FIELDS: list[FieldSpec] = [_attr("article_no", "text", settable=False),
                                 FieldSpec("available", "number", lambda s: Decimal(s.available),
                                           lambda s, v: setattr(s, "available", int(v)))]
STATUS_FIELDS: list[FieldSpec] = [
    _attr("specter_order_no", "text", settable=False), _attr("external_order_no", "text", settable=False),
    _attr("delivered", "bool", settable=False), _attr("deleted", "bool", settable=False),
    _attr("status_id", "text", settable=False), _attr("delivery_status", "text", settable=False),
    _attr("shop_status", "text", "the shop status the order gets (from order_status_map; empty: left as it is)"),
    _attr("tracking_numbers", "list", settable=False),
]

FIELDS: dict[Flow, dict[str, FieldSpec]] = {
    "order_to_specter": {f.name: f for f in ORDER_FIELDS},
    "customer_to_specter": {f.name: f for f in CUSTOMER_FIELDS},
    "article_to_specter": {f.name: f for f in ARTICLE_FIELDS},
    "article_from_specter": {f.name: f for f in ARTICLE_FIELDS},
    "stock_from_specter": {f.name: f for f in STOCK_FIELDS},
    "order_status_from_specter": {f.name: f for f in STATUS_FIELDS},
}
OBJECT_TYPES: dict[Flow, type] = {
    "order_to_specter": Order, "customer_to_specter": Customer, "article_to_specter": Article,
    "article_from_specter": Article, "stock_from_specter": StockLevel, "order_status_from_specter": OrderStatusUpdate,
}
# Free fields: "custom_fields.KEY" (the order's or customer's extra fields), read and set as text.
CUSTOM_PREFIXES: dict[Flow, tuple[str, ...]] = {
    "order_to_specter": ("custom_fields.", "customer.custom_fields."),
    "customer_to_specter": ("custom_fields.",),
}


def _custom(prefix: str, key: str) -> FieldSpec:
    owner = prefix[: -len("custom_fields.")].rstrip(".")

    def fields_of(obj: Any) -> dict[str, str]:
        return (getattr(obj, owner) if owner else obj).custom_fields  # type: ignore[no-any-return]

    def set_(obj: Any, value: Any) -> None:
        fields_of(obj)[key] = value

    return FieldSpec(prefix + key, "text", lambda o: fields_of(o).get(key, ""), set_)


def field(flow: Flow, name: str) -> FieldSpec | None:
    """The field ``name`` of ``flow``'s object, or None when it has none."""
    spec = FIELDS[flow].get(name)
    if spec is not None:
        return spec
    for prefix in CUSTOM_PREFIXES.get(flow, ()):
        if name.startswith(prefix) and len(name) > len(prefix):
            return _custom(prefix, name[len(prefix):])
    return None


def field_names(flow: Flow) -> list[str]:
    return [*FIELDS[flow], *(f"{p}KEY" for p in CUSTOM_PREFIXES.get(flow, ()))]
