"""What Specter receives for a shop order: the order's fields and rows, by the tenant's settings.

Pure functions over the domain model, so every setting's effect is easy to see and test.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from gateway.engine.limits import shorten
from gateway.model import (
    CashOnDeliveryRow,
    DiscountRow,
    GiftCardRow,
    GiftWrapRow,
    Order,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
)
from gateway.settings import TenantSettings

ZERO = Decimal(0)


def external_order_no(order: Order, settings: TenantSettings) -> str:
    """Specter's duplicate control key: unique per Specter account, so prefixed per tenant."""
    return f"{settings.external_order_prefix}{order.number or order.shop_id}"


def order_fields(order: Order, settings: TenantSettings, customer_id: str) -> tuple[dict[str, str], list[str]]:
    """newOrderSubmit's header fields, and notes on what had to be shortened."""
    payment = order.payment
    fields = {
        "customerId": customer_id,
        "externalOrderNo": external_order_no(order, settings),
        "currency": order.currency,
        "language": settings.language,
        "customerOrderReference": order.customer_reference or order.number,
        "sendOrderMail": "1" if settings.send_order_mail else "0",
        "sendOrderMailToUser": "1" if settings.send_order_mail_to_user else "0",
    }
    pay_type = settings.payment_types.get(payment.method, "")
    optional = {
        "webshopId": settings.webshop_id,
        "stocksiteid": settings.stock_site_id,
        "payTypeIdentifier": pay_type,
        # The provider's transaction or reservation id: completing the order in Specter then
        # captures the card payment or activates the Klarna/DIBS invoice.
        "payTypeReference": payment.transaction_id,
        "isPrepayment": "1" if payment.paid_at is not None else "",
        "externalDeliveryMethod": _delivery_key(order, settings),
        "publishedComment": order.customer_note,
        "internalComment": _custom_fields(order) if settings.include_customer_fields else "",
    }
    fields |= {name: value for name, value in optional.items() if value}
    notes = shorten(fields)
    return fields, notes


def _delivery_key(order: Order, settings: TenantSettings) -> str:
    method = order.delivery_method_id or next((r.method_id for r in order.rows if isinstance(r, ShippingRow)), "")
    return settings.delivery_methods.get(method, method)


def _custom_fields(order: Order) -> str:
    fields = order.custom_fields | order.customer.custom_fields
    return "\n".join(f"{key}: {value}" for key, value in sorted(fields.items()))


def order_rows(order: Order, settings: TenantSettings) -> list[dict[str, str | Decimal]]:
    """Every row Specter gets: products, their discounts, shipping, fees, gift cards."""
    rows: list[dict[str, str | Decimal]] = []
    discounts_by_vat: dict[Decimal, Decimal] = defaultdict(Decimal)
    for row in order.rows:
        if isinstance(row, ProductRow):
            rows.append(_row(row.article_no, row.name, row.unit_price_ex_vat, row.quantity, row.vat_percent, row.comment))
            if row.discount_ex_vat:
                if settings.discount_percent_per_item:
                    rows.append(_item_discount(row, settings))
                else:
                    discounts_by_vat[row.vat_percent] += row.discount_ex_vat
    rows.extend(_order_discounts(order, discounts_by_vat, settings))

    fees = {
        ShippingRow: (settings.shipping_article_no, settings.include_zero_shipping),
        PaymentFeeRow: (settings.payment_fee_article_no, settings.include_zero_payment_fee),
        CashOnDeliveryRow: (settings.cod_fee_article_no, settings.include_zero_cod_fee),
        GiftWrapRow: (settings.gift_wrap_article_no, False),
        DiscountRow: (settings.discount_article_no, False),
        GiftCardRow: (settings.gift_card_article_no, False),
    }
    for row in order.rows:
        if isinstance(row, ProductRow):
            continue
        article_no, include_zero = fees[type(row)]
        if row.unit_price_ex_vat == ZERO and not include_zero:
            continue
        price = -abs(row.unit_price_ex_vat) if isinstance(row, (DiscountRow, GiftCardRow)) else row.unit_price_ex_vat
        rows.append(_row(article_no, row.name or _default_name(row), price, row.quantity, row.vat_percent, row.comment))
    rows.extend(_zero_rows_for_missing_fees(order, settings))
    return rows


def _row(article_no: str, name: str, price: Decimal, quantity: Decimal, vat: Decimal, comment: str = "") -> dict:
    row: dict[str, str | Decimal] = {
        "articleNo": article_no,
        "articleName": name,
        "priceExclVAT": price,
        "noOfItems": _quantity(quantity),
        "vatPercent": vat,
    }
    if comment:
        row["articleComment"] = comment
    return row


def _quantity(value: Decimal) -> str:
    """Whole quantities as "2", fractions (metres, kilos) with up to three decimals."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(Decimal("0.001")).normalize())


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    pct = (part * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return pct.to_integral_value() if pct == pct.to_integral_value() else pct.normalize()


def _item_discount(row: ProductRow, settings: TenantSettings) -> dict:
    """The discount on one product row as its own negative row, named with its percentage."""
    gross = row.unit_price_ex_vat * row.quantity
    pct = _percent(row.discount_ex_vat, gross)
    per_unit = (row.discount_ex_vat / row.quantity) if row.quantity else row.discount_ex_vat
    return _row(
        settings.discount_article_no, f"Rabatt {pct} % {row.article_no}".strip(), -per_unit, row.quantity, row.vat_percent
    )


def _order_discounts(order: Order, by_vat: dict[Decimal, Decimal], settings: TenantSettings) -> list[dict]:
    """The order's discount as negative rows, one per VAT rate (so Specter books VAT right),
    named with the codes and the percentage of the goods' value."""
    if not by_vat:
        return []
    goods = sum(
        (r.unit_price_ex_vat * r.quantity for r in order.rows if isinstance(r, ProductRow)), ZERO
    )
    pct = _percent(sum(by_vat.values(), ZERO), goods)
    codes = ", ".join(order.discount_codes)
    name = f"Rabatt {codes} {pct} %".replace("  ", " ") if codes else f"Rabatt {pct} %"
    return [
        _row(settings.discount_article_no, name, -amount, Decimal(1), vat)
        for vat, amount in sorted(by_vat.items())
        if amount
    ]


def _default_name(row) -> str:
    return {
        ShippingRow: "Frakt",
        PaymentFeeRow: "Avgift",
        CashOnDeliveryRow: "Postförskott",
        GiftWrapRow: "Presentinslag",
        DiscountRow: "Rabatt",
        GiftCardRow: "Presentkort",
    }[type(row)]


def _zero_rows_for_missing_fees(order: Order, settings: TenantSettings) -> list[dict]:
    """With an "include zero amount" setting on, a fee the order does not carry is still sent
    as a zero row (the COD row only when cash on delivery is the payment method)."""
    present = {type(r) for r in order.rows}
    wanted = [
        (ShippingRow, settings.include_zero_shipping, settings.shipping_article_no),
        (PaymentFeeRow, settings.include_zero_payment_fee, settings.payment_fee_article_no),
    ]
    if order.payment.method in settings.cash_on_delivery_methods:
        wanted.append((CashOnDeliveryRow, settings.include_zero_cod_fee, settings.cod_fee_article_no))
    vat = next((r.vat_percent for r in order.rows if isinstance(r, ProductRow)), ZERO)
    return [
        _row(article_no, _default_name(kind()), ZERO, Decimal(1), vat)
        for kind, include, article_no in wanted
        if include and kind not in present
    ]
