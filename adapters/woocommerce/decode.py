"""WooCommerce JSON (REST API v3 answers and webhook bodies) to the domain model.

Payloads are parsed with :func:`loads`, which keeps every JSON number as an exact ``Decimal``
(``line_items[].price`` is a number such as ``179.1``), then checked against the small wire
Structs below, so a malformed payload raises :class:`InvalidInput` naming the field.

Assumptions, from the captured shop: prices are entered excluding VAT, weights are in kg, and
order line amounts (``subtotal``, ``total``) are always ex VAT whatever the shop displays.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import msgspec

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
    convert,
)

# VAT percent per WooCommerce tax class; a tenant may pass its own.
DEFAULT_TAX_RATES: dict[str, Decimal] = {
    "": Decimal(25),
    "standard": Decimal(25),
    "reduced-rate": Decimal(12),
    "zero-rate": Decimal(0),
}

STATES: dict[str, OrderState] = {
    "checkout-draft": "draft",
    "pending": "pending",
    "processing": "processing",
    "on-hold": "on_hold",
    "completed": "completed",
    "cancelled": "cancelled",
    "refunded": "refunded",
    "failed": "failed",
    "trash": "deleted",
}

# Product types that are packages of other products (core "grouped" and common bundle plugins).
PACKAGE_TYPES = frozenset({"grouped", "bundle", "woosb", "composite", "yith_bundle"})

# Where checkout plugins keep the person/organisation number and the VAT number.
ORG_NO_KEYS = ("_billing_org_no", "billing_org_no", "_billing_orgnr", "billing_orgnr", "_org_no", "org_no",
               "_billing_personnummer", "billing_personnummer", "_billing_ssn", "personnummer")
VAT_NO_KEYS = ("_billing_vat_number", "billing_vat_number", "_vat_number", "vat_number", "_billing_vat")

COD_WORDS = ("efterkrav", "postförskott", "cash on delivery")


def loads(raw: bytes | str) -> Any:
    """Parse JSON keeping numbers exact (``Decimal`` for every non-integer)."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from None


# --- Wire shapes: only the fields the gateway reads ---------------------------------------------


class _Wire(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    pass


class Meta(_Wire, kw_only=True):
    key: str
    value: Any = None


class Ref(_Wire, kw_only=True):
    id: int
    name: str = ""
    slug: str = ""


class Attribute(_Wire, kw_only=True):
    name: str = ""
    option: str = ""


class WireProduct(_Wire, kw_only=True):
    id: int
    name: str = ""
    type: str = "simple"
    sku: str | None = ""
    parent_id: int = 0
    regular_price: str | None = ""
    sale_price: str | None = ""
    tax_status: str = "taxable"
    tax_class: str | None = ""
    manage_stock: bool | str = False  # a variation may say "parent"
    stock_quantity: int | None = None
    weight: str | None = ""
    global_unique_id: str | None = ""
    description: str | None = ""
    short_description: str | None = ""
    categories: list[Ref] = []
    attributes: list[Attribute] = []
    variations: list[int] = []


class WireAddress(_Wire, kw_only=True):
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""
    email: str | None = ""
    phone: str | None = ""


class WireCustomer(_Wire, kw_only=True):
    id: int
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    billing: WireAddress = msgspec.field(default_factory=WireAddress)
    shipping: WireAddress = msgspec.field(default_factory=WireAddress)
    meta_data: list[Meta] = []


class Tax(_Wire, kw_only=True):
    id: int = 0
    total: Any = ""  # "12.25", "44.775", or "" when not taxed
    subtotal: Any = ""


class LineItem(_Wire, kw_only=True):
    id: int = 0
    name: str = ""
    product_id: int = 0
    variation_id: int = 0
    quantity: Decimal
    sku: str | None = ""
    subtotal: Decimal
    subtotal_tax: Decimal = Decimal(0)
    total: Decimal
    total_tax: Decimal = Decimal(0)
    taxes: list[Tax] = []
    meta_data: list[Meta] = []


class ShippingLine(_Wire, kw_only=True):
    method_title: str = ""
    method_id: str = ""
    instance_id: str = ""
    total: Decimal
    total_tax: Decimal = Decimal(0)
    taxes: list[Tax] = []


class FeeLine(_Wire, kw_only=True):
    name: str = ""
    total: Decimal
    total_tax: Decimal = Decimal(0)
    taxes: list[Tax] = []


class CouponLine(_Wire, kw_only=True):
    code: str = ""
    discount: Decimal
    discount_tax: Decimal = Decimal(0)
    discount_type: str = ""
    nominal_amount: Decimal | None = None


class TaxLine(_Wire, kw_only=True):
    rate_id: int = 0
    rate_percent: Decimal | None = None


class WireOrder(_Wire, kw_only=True):
    id: int
    number: str = ""
    status: str
    currency: str = "SEK"
    date_created_gmt: str | None = None
    date_paid_gmt: str | None = None
    customer_id: int = 0
    customer_note: str = ""
    billing: WireAddress = msgspec.field(default_factory=WireAddress)
    shipping: WireAddress = msgspec.field(default_factory=WireAddress)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    line_items: list[LineItem] = []
    shipping_lines: list[ShippingLine] = []
    fee_lines: list[FeeLine] = []
    coupon_lines: list[CouponLine] = []
    tax_lines: list[TaxLine] = []
    meta_data: list[Meta] = []


# --- Small parsers --------------------------------------------------------------------------------


def money(text: Any, field: str) -> Decimal | None:
    """A price as WooCommerce sends it: a decimal string, ``""`` or null when unset."""
    if text is None or text == "":
        return None
    if isinstance(text, float):  # only from callers that parsed without parse_float=Decimal
        text = repr(text)
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise InvalidInput(f"{field} is not a number: {text!r}", field) from None
    if not value.is_finite():
        raise InvalidInput(f"{field} is not a number: {text!r}", field)
    return value


def gmt(text: str | None, field: str) -> dt.datetime | None:
    """A ``*_gmt`` date: site-independent UTC without a zone suffix."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput(f"{field} is not a date: {text!r}", field) from None


def whole_percent(tax: Decimal, base: Decimal) -> Decimal:
    """VAT percent from a tax amount and its base, rounded to a whole percent (WooCommerce
    rounds each line's tax to cents, so the ratio is only close to the rate)."""
    if not base:
        return Decimal(0)
    return (abs(tax) / abs(base) * 100).quantize(Decimal(1), ROUND_HALF_UP)


def custom_fields(meta: list[Meta]) -> dict[str, str]:
    """Visible string meta; keys starting with "_" are WooCommerce's or plugins' internals."""
    return {m.key: m.value for m in meta if not m.key.startswith("_") and isinstance(m.value, str)}


def _meta_value(meta: list[Meta], keys: tuple[str, ...]) -> str:
    by_key = {m.key: m.value for m in meta}
    for key in keys:
        value = by_key.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def address(wire: WireAddress) -> Address:
    return Address(line1=wire.address_1, line2=wire.address_2, zip_code=wire.postcode, city=wire.city,
                   country_code=wire.country, company=wire.company, first_name=wire.first_name,
                   last_name=wire.last_name)


def _has_address(wire: WireAddress) -> bool:
    return bool(wire.address_1 or wire.city or wire.postcode)


# --- Products -------------------------------------------------------------------------------------


def product(data: Any) -> WireProduct:
    return convert(data, WireProduct)


def article(
    wire: WireProduct,
    parent: WireProduct | None = None,
    tax_rates: dict[str, Decimal] | None = None,
) -> Article:
    """One sellable article; ``parent`` is the variable product a variation belongs to."""
    rates = DEFAULT_TAX_RATES if tax_rates is None else tax_rates
    tax_class = wire.tax_class or ""
    if tax_class == "parent":  # a variation taxed like its parent
        tax_class = (parent.tax_class or "") if parent else ""
    vat = Decimal(0) if wire.tax_status == "none" else rates.get(tax_class)
    name = wire.name
    if wire.type == "variation" and parent and not name.startswith(parent.name):
        # The variations endpoint names a variation by its options only ("S").
        name = f"{parent.name} - {name}"
    category = wire.categories[0] if wire.categories else (
        parent.categories[0] if parent and parent.categories else None)
    return Article(
        article_no=(wire.sku or "").strip(),
        name=name,
        price_ex_vat=money(wire.regular_price, "$.regular_price"),
        sale_price_ex_vat=money(wire.sale_price, "$.sale_price"),
        vat_percent=vat,
        weight_kg=money(wire.weight, "$.weight"),
        barcode=wire.global_unique_id or "",
        description=wire.description or "",
        short_description=wire.short_description or "",
        stock=wire.stock_quantity,
        manage_stock=wire.manage_stock is True or wire.manage_stock == "parent",
        group=ArticleGroup(code=category.slug or str(category.id), name=category.name) if category else None,
        shop_id=str(wire.id),
        parent_shop_id=str(wire.parent_id) if wire.parent_id else None,
        is_package=wire.type in PACKAGE_TYPES,
    )


def articles(
    data: Any, variations: list[Any] = (), tax_rates: dict[str, Decimal] | None = None  # type: ignore[assignment]
) -> list[Article]:
    """The articles a product stands for: a variable product is its variations, anything else
    itself (a variation fetched on its own keeps its ``parent_id``)."""
    wire = product(data)
    if wire.type == "variable":
        return [article(product(v), wire, tax_rates) for v in variations]
    return [article(wire, None, tax_rates)]


# --- Customers ------------------------------------------------------------------------------------


def customer(data: Any) -> Customer:
    wire = convert(data, WireCustomer)
    billing = wire.billing
    return Customer(
        shop_id=str(wire.id) if wire.id else "",
        first_name=wire.first_name or billing.first_name,
        last_name=wire.last_name or billing.last_name,
        company=billing.company,
        org_no=_meta_value(wire.meta_data, ORG_NO_KEYS),
        vat_no=_meta_value(wire.meta_data, VAT_NO_KEYS),
        email=wire.email or billing.email or "",
        phone=billing.phone or "",
        address=address(billing),
        delivery_address=address(wire.shipping) if _has_address(wire.shipping) else None,
        custom_fields=custom_fields(wire.meta_data),
    )


# --- Orders ---------------------------------------------------------------------------------------


def order(
    data: Any,
    tax_rates: dict[str, Decimal] | None = None,
    cash_on_delivery_methods: list[str] | tuple[str, ...] = ("cod",),
) -> Order:
    wire = convert(data, WireOrder)
    rates = {t.rate_id: t.rate_percent for t in wire.tax_lines if t.rate_percent is not None}
    billing = wire.billing
    meta = wire.meta_data
    buyer = Customer(
        shop_id=str(wire.customer_id) if wire.customer_id else "",
        first_name=billing.first_name,
        last_name=billing.last_name,
        company=billing.company,
        org_no=_meta_value(meta, ORG_NO_KEYS),
        vat_no=_meta_value(meta, VAT_NO_KEYS),
        email=billing.email or "",
        phone=billing.phone or "",
        address=address(billing),
        delivery_address=address(wire.shipping) if _has_address(wire.shipping) else None,
        currency=wire.currency,
    )
    cod = wire.payment_method in cash_on_delivery_methods
    rows: list[OrderRow] = [_product_row(line, i, rates) for i, line in enumerate(wire.line_items)]
    rows += [_shipping_row(line, rates) for line in wire.shipping_lines]
    rows += [_fee_row(line, rates, cod) for line in wire.fee_lines]
    # Coupons are already spread over the product rows (their discount_ex_vat); only the codes
    # are kept, to name the discount rows.
    rows += _gift_card_rows(meta)
    shipping_method = next((r.method_id for r in rows if isinstance(r, ShippingRow)), "")
    return Order(
        shop_id=str(wire.id),
        number=wire.number or str(wire.id),
        state=STATES.get(wire.status, "custom"),  # a plugin's status
        currency=wire.currency,
        created_at=gmt(wire.date_created_gmt, "$.date_created_gmt"),
        customer=buyer,
        billing=address(billing),
        shipping=address(wire.shipping) if _has_address(wire.shipping) else None,
        rows=rows,
        payment=Payment(method=wire.payment_method, title=wire.payment_method_title,
                        transaction_id=wire.transaction_id, paid_at=gmt(wire.date_paid_gmt, "$.date_paid_gmt")),
        delivery_method_id=shipping_method,
        customer_note=wire.customer_note,
        specter_order_no=_meta_value(meta, ("_specter_order_no",)),
        discount_codes=[c.code for c in wire.coupon_lines if c.code],
        custom_fields=custom_fields(meta),
    )


def _vat(taxes: list[Tax], tax: Decimal, base: Decimal, rates: dict[int, Decimal]) -> Decimal:
    """The exact rate from the order's tax lines when the row has one tax, else the ratio."""
    charged = [t for t in taxes if money(t.total, "$.taxes[].total")]
    if len(charged) == 1 and charged[0].id in rates:
        return rates[charged[0].id]
    return whole_percent(tax, base)


def _unit(amount: Decimal, quantity: Decimal) -> Decimal:
    unit = amount / quantity
    # Keep exact cents; a price that does not divide evenly keeps four decimals.
    return unit if unit == unit.quantize(Decimal("0.01")) else unit.quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _product_row(line: LineItem, index: int, rates: dict[int, Decimal]) -> ProductRow:
    if line.quantity <= 0:
        raise InvalidInput(f"line item quantity must be positive, got {line.quantity}",
                           f"$.line_items[{index}].quantity")
    attributes = [f"{m.value}" for m in line.meta_data if not m.key.startswith("_") and isinstance(m.value, str)]
    return ProductRow(
        name=line.name,
        quantity=line.quantity,
        # subtotal is before coupons, total after: WooCommerce spreads coupons over the lines.
        unit_price_ex_vat=_unit(line.subtotal, line.quantity),
        vat_percent=_vat(line.taxes, line.subtotal_tax or line.total_tax, line.subtotal or line.total, rates),
        comment=", ".join(attributes),
        article_no=(line.sku or "").strip(),
        shop_product_id=str(line.variation_id or line.product_id),
        discount_ex_vat=max(line.subtotal - line.total, Decimal(0)),
    )


def _shipping_row(line: ShippingLine, rates: dict[int, Decimal]) -> ShippingRow:
    return ShippingRow(
        name=line.method_title,
        unit_price_ex_vat=line.total,
        vat_percent=_vat(line.taxes, line.total_tax, line.total, rates),
        method_id=delivery_key(line),
    )


def delivery_key(line: ShippingLine) -> str:
    """The method and its instance, ``flat_rate:3``: one method id can stand for several zones'
    or carriers' rates (PostNord and DHL both ``flat_rate``). A line added without a shipping
    zone has no instance ("" or "0") and keeps the bare method id."""
    if line.instance_id in ("", "0"):
        return line.method_id
    return f"{line.method_id}:{line.instance_id}" if line.method_id else line.instance_id


def _fee_row(line: FeeLine, rates: dict[int, Decimal], cod: bool) -> OrderRow:
    vat = _vat(line.taxes, line.total_tax, line.total, rates)
    if line.total < 0:
        # Gift card plugins that have no line type of their own subtract a negative fee.
        return GiftCardRow(name=line.name, unit_price_ex_vat=line.total, vat_percent=Decimal(0), code=line.name)
    if cod or any(word in line.name.lower() for word in COD_WORDS):
        return CashOnDeliveryRow(name=line.name, unit_price_ex_vat=line.total, vat_percent=vat)
    return PaymentFeeRow(name=line.name, unit_price_ex_vat=line.total, vat_percent=vat)


def _gift_card_rows(meta: list[Meta]) -> list[OrderRow]:
    """Best effort for gift card plugins: YITH Gift Cards keeps the cards applied to an order as
    ``{code: amount}`` in order meta, outside the line totals. (Plugins that subtract a negative
    fee are handled by :func:`_fee_row`; PW Gift Cards keeps its own order item type, which the
    REST API does not show.)"""
    rows: list[OrderRow] = []
    for m in meta:
        if m.key == "_ywgc_applied_gift_cards" and isinstance(m.value, dict):
            for code, amount in m.value.items():
                value = money(str(amount), "$.meta_data[_ywgc_applied_gift_cards]")
                if value:
                    rows.append(GiftCardRow(name=str(code), unit_price_ex_vat=-abs(value), code=str(code)))
    return rows
