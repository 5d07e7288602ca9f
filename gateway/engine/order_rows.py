"""What Specter receives for a shop order: the order and its rows, by the tenant's settings.

Pure functions over the domain model, so every setting's effect is easy to see and test.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from gateway.model import (
    CashOnDeliveryRow,
    DiscountRow,
    GiftCardRow,
    GiftWrapRow,
    Order,
    OrderRow,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
)
from gateway.settings import TenantSettings
from gateway.specter.documents import SpecterOrder, SpecterOrderRow
from gateway.specter.limits import shorten

ZERO = Decimal(0)


def external_order_no(order: Order, settings: TenantSettings) -> str:
    """Specter's duplicate control key: unique per Specter account, so prefixed per tenant."""
    return f"{settings.external_order_prefix}{order.number or order.shop_id}"


def specter_order(order: Order, settings: TenantSettings, customer_id: str) -> tuple[SpecterOrder, list[str]]:
    """The order as Specter gets it, and notes on what had to be shortened to fit Specter."""
    payment = order.payment
    whole = SpecterOrder(
        customer_id=customer_id,
        external_order_no=external_order_no(order, settings),
        currency=order.currency,
        language=settings.language,
        customer_reference=order.customer_reference or order.number,
        send_order_mail=settings.send_order_mail,
        send_order_mail_to_user=settings.send_order_mail_to_user,
        webshop_id=order.webshop_id or settings.webshop_id,
        stock_site_id=order.stock_site_id or settings.stock_site_id,
        pay_type=settings.payment_types.get(payment.method, ""),
        payment_reference=payment.transaction_id,
        # The shop's paid date alone is no proof: WooCommerce sets it for cash on delivery too.
        prepaid=payment.method in settings.prepaid_payment_methods and payment.paid_at is not None,
        delivery_method=_delivery_key(order, settings),
        published_comment=order.customer_note,
        internal_comment=_internal_comment(order, settings),
        rows=order_rows(order, settings),
    )
    return shorten(whole)


def _delivery_key(order: Order, settings: TenantSettings) -> str:
    method = order.delivery_method_id or next((r.method_id for r in order.rows if isinstance(r, ShippingRow)), "")
    # "flat_rate:3" (a method's instance) may be mapped on its own or by its bare method id.
    mapped = settings.delivery_methods
    return mapped.get(method) or mapped.get(method.partition(":")[0]) or method


def _internal_comment(order: Order, settings: TenantSettings) -> str:
    """What a rule put in the internal comment, then the order's extra fields when asked for."""
    parts = [order.internal_comment, _custom_fields(order) if settings.include_customer_fields else ""]
    return "\n".join(p for p in parts if p)


def _custom_fields(order: Order) -> str:
    fields = order.custom_fields | order.customer.custom_fields
    return "\n".join(f"{key}: {value}" for key, value in sorted(fields.items()))


# The name of a fee's row when the shop gave it none.
DEFAULT_NAMES: dict[type[OrderRow], str] = {
    ShippingRow: "Frakt",
    PaymentFeeRow: "Avgift",
    CashOnDeliveryRow: "Postförskott",
    GiftWrapRow: "Presentinslag",
    DiscountRow: "Rabatt",
    GiftCardRow: "Presentkort",
}


def order_rows(order: Order, settings: TenantSettings) -> list[SpecterOrderRow]:
    """Every row Specter gets: products, their discounts, shipping, fees, gift cards."""
    rows: list[SpecterOrderRow] = []
    discounts_by_vat: dict[Decimal, Decimal] = defaultdict(Decimal)
    for row in order.rows:
        if isinstance(row, ProductRow):
            rows.append(
                SpecterOrderRow(
                    article_no=row.article_no,
                    name=row.name,
                    price_ex_vat=row.unit_price_ex_vat,
                    quantity=row.quantity,
                    vat_percent=row.vat_percent,
                    comment=row.comment,
                )
            )
            if row.discount_ex_vat:
                if settings.discount_percent_per_item:
                    rows.append(_item_discount(row, settings))
                else:
                    discounts_by_vat[row.vat_percent] += row.discount_ex_vat
    rows.extend(_order_discounts(order, discounts_by_vat, settings))

    fees: dict[type[OrderRow], tuple[str, bool]] = {
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
        # A discount or a gift card lowers what the customer pays, whichever sign the shop gave it.
        price = -abs(row.unit_price_ex_vat) if isinstance(row, (DiscountRow, GiftCardRow)) else row.unit_price_ex_vat
        rows.append(
            SpecterOrderRow(
                article_no=article_no,
                name=row.name or DEFAULT_NAMES[type(row)],
                price_ex_vat=price,
                quantity=row.quantity,
                vat_percent=row.vat_percent,
                comment=row.comment,
            )
        )
    rows.extend(_zero_rows_for_missing_fees(order, settings))
    return rows


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    pct = (part * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return pct.to_integral_value() if pct == pct.to_integral_value() else pct.normalize()


def _item_discount(row: ProductRow, settings: TenantSettings) -> SpecterOrderRow:
    """The discount on one product row as its own negative row, named with its percentage."""
    pct = _percent(row.discount_ex_vat, row.unit_price_ex_vat * row.quantity)
    per_unit = (row.discount_ex_vat / row.quantity) if row.quantity else row.discount_ex_vat
    return SpecterOrderRow(
        article_no=settings.discount_article_no,
        name=f"Rabatt {pct} % {row.article_no}".strip(),
        price_ex_vat=-per_unit,
        quantity=row.quantity,
        vat_percent=row.vat_percent,
    )


def _order_discounts(
    order: Order, by_vat: dict[Decimal, Decimal], settings: TenantSettings
) -> list[SpecterOrderRow]:
    """The order's discount as negative rows, one per VAT rate (so Specter books VAT right),
    named with the codes and the percentage of the goods' value."""
    if not by_vat:
        return []
    goods = sum((r.unit_price_ex_vat * r.quantity for r in order.rows if isinstance(r, ProductRow)), ZERO)
    pct = _percent(sum(by_vat.values(), ZERO), goods)
    codes = ", ".join(order.discount_codes)
    name = f"Rabatt {codes} {pct} %".replace("  ", " ") if codes else f"Rabatt {pct} %"
    return [
        SpecterOrderRow(
            article_no=settings.discount_article_no,
            name=name,
            price_ex_vat=-amount,
            quantity=Decimal(1),
            vat_percent=vat,
        )
        for vat, amount in sorted(by_vat.items())
        if amount
    ]


def _zero_rows_for_missing_fees(order: Order, settings: TenantSettings) -> list[SpecterOrderRow]:
    """With an "include zero amount" setting on, a fee the order does not carry is still sent
    as a zero row (the COD row only when cash on delivery is the payment method)."""
    present = {type(r) for r in order.rows}
    wanted: list[tuple[type[OrderRow], bool, str]] = [
        (ShippingRow, settings.include_zero_shipping, settings.shipping_article_no),
        (PaymentFeeRow, settings.include_zero_payment_fee, settings.payment_fee_article_no),
    ]
    if order.payment.method in settings.cash_on_delivery_methods:
        wanted.append((CashOnDeliveryRow, settings.include_zero_cod_fee, settings.cod_fee_article_no))
    vat = next((r.vat_percent for r in order.rows if isinstance(r, ProductRow)), ZERO)
    return [
        SpecterOrderRow(
            article_no=article_no, name=DEFAULT_NAMES[kind], price_ex_vat=ZERO, quantity=Decimal(1), vat_percent=vat
        )
        for kind, include, article_no in wanted
        if include and kind not in present
    ]
