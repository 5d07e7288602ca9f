"""Abicart (Textalk Webshop) JSON-RPC objects to the domain model.

Answers are parsed with :func:`loads`, which keeps every JSON number an exact ``Decimal``.
The shapes, as the adapter and its fake shop agree on them:

- Money is ``{incVat, exVat, vat, vatRate}`` with ``vatRate`` a fraction (``0.25``); the model
  takes the ex-VAT amount and the VAT as a whole percent (``0.25`` -> ``25``).
- Texts are per language (``{"sv": "Tröja", "en": "Sweater"}``): the tenant's language, else
  Swedish, else the first one given.
- An article with ``choices`` is sold as its ``ArticleVariant``\\ s, each its own Article with
  its own ``articleNumber``; ``type == "package"`` marks a product package (never exported).
- Discounts: Abicart does *not* spread an order's discount over the item totals. An item's own
  discount is its ``discountInfo.amount`` (for the whole row; ``costs.unit`` stays the regular
  price), and becomes the row's ``discount_ex_vat``. A cart-wide discount (a campaign code) is
  the order's ``discountInfo.discounts[]`` and becomes a :class:`DiscountRow` of its own.
- Gift cards are payments (``payments[].method == "giftcard"``), sent as a negative row.
- Abicart's base currency must be SEK (Abicart's own Specter rule): another currency is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from gateway.errors import PermanentError
from gateway.model import (
    Address,
    Article,
    CashOnDeliveryRow,
    Customer,
    DiscountRow,
    GiftCardRow,
    InvalidInput,
    Order,
    OrderRow,
    OrderState,
    Payment,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
)

BASE_CURRENCY = "SEK"
GIFT_CARD_METHODS = frozenset({"giftcard", "gift_card"})
COD_WORDS = ("postförskott", "cash on delivery")
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def loads(raw: bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from None


def require_sek(currency: str | None, what: str) -> None:
    if currency and currency.upper() != BASE_CURRENCY:
        raise PermanentError(
            f"{what} is in {currency}; the Specter integration needs Abicart's base currency to be SEK")


# --- Small values ---------------------------------------------------------------------------


def dec(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except ArithmeticError:
        raise InvalidInput(f"{value!r} is not a number", where) from None


def vat_percent(rate: Any, where: str = "vatRate") -> Decimal:
    """A VAT fraction as a percent, whole when it is whole: 0.25 -> 25, 0.12 -> 12, 0.06 -> 6."""
    percent = dec(rate, where) * 100
    if percent == percent.to_integral_value():
        return percent.quantize(Decimal(1))
    return percent.normalize()


def ex_vat(money: Any, where: str) -> tuple[Decimal, Decimal]:
    """(amount ex VAT, VAT percent) of a money object; a bare number is taken as ex VAT."""
    if money is None:
        return Decimal(0), Decimal(0)
    if not isinstance(money, dict):
        return dec(money, where), Decimal(0)
    if "exVat" in money:
        amount = dec(money["exVat"], f"{where}.exVat")
    else:  # only the price the shopper saw: take the VAT off
        amount = dec(money.get("incVat"), f"{where}.incVat") - dec(money.get("vat"), f"{where}.vat")
    return amount, vat_percent(money.get("vatRate", 0), f"{where}.vatRate")


def text(value: Any, language: str) -> str:
    """A per-language text in the tenant's language (else Swedish, else the first given)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or not value:
        return ""
    for lang in (language, "sv"):
        if value.get(lang):
            return str(value[lang])
    return str(next((v for v in value.values() if v), ""))


# --- Catalogue ------------------------------------------------------------------------------


def _grams_to_kg(value: Any) -> Decimal | None:
    return None if value in (None, "") else dec(value, "weight") / 1000


def article(data: dict[str, Any], language: str) -> Article:
    """A simple article (one without choices)."""
    price, vat = ex_vat(data.get("price"), "$.price")
    campaign = data.get("campaignPrice")
    stock = data.get("stock")
    return Article(
        article_no=str(data.get("articleNumber") or ""),
        name=text(data.get("name"), language),
        price_ex_vat=price,
        sale_price_ex_vat=ex_vat(campaign, "$.campaignPrice")[0] if campaign else None,
        vat_percent=vat,
        weight_kg=_grams_to_kg(data.get("weight")),
        barcode=str(data.get("barcode") or ""),
        description=text(data.get("description"), language),
        short_description=text(data.get("introductionText"), language),
        stock=None if stock is None else int(stock),
        manage_stock=stock is not None,
        shop_id=str(data["uid"]),
        is_package=data.get("type") == "package",
    )


def variant(parent: dict[str, Any], data: dict[str, Any], language: str) -> Article:
    """One choice combination of ``parent``: its own number, stock and (when set) price."""
    base = article(parent, language)
    price, vat = ex_vat(data["price"], "$.price") if data.get("price") else (base.price_ex_vat, base.vat_percent)
    choices = [text(c, language) for c in data.get("choices") or []]
    stock = data.get("stock")
    return msgspec.structs.replace(
        base,
        article_no=str(data.get("articleNumber") or ""),
        name=" ".join([base.name, *choices]).strip(),
        price_ex_vat=price,
        vat_percent=vat,
        stock=None if stock is None else int(stock),
        manage_stock=stock is not None,
        shop_id=f"{parent['uid']}:{data['uid']}",
        parent_shop_id=str(parent["uid"]),
    )


def articles(data: dict[str, Any], variants: list[dict[str, Any]], language: str) -> list[Article]:
    """The sellable articles an Abicart article stands for."""
    if data.get("choices"):
        return [variant(data, v, language) for v in variants]
    return [article(data, language)]


# --- Customers ------------------------------------------------------------------------------


def address(data: dict[str, Any] | None) -> Address:
    data = data or {}
    return Address(
        line1=str(data.get("street") or ""),
        line2=str(data.get("street2") or ""),
        zip_code=str(data.get("zipcode") or ""),
        city=str(data.get("city") or ""),
        country_code=str(data.get("country") or ""),
        company=str(data.get("companyName") or ""),
        first_name=str(data.get("firstName") or ""),
        last_name=str(data.get("lastName") or ""),
    )


def customer(data: dict[str, Any], language: str = "") -> Customer:
    """A Customer object, or the ``customer`` part of an Order (no uid for a guest)."""
    info = data.get("info") or {}
    billing = address(data.get("address"))
    delivery = data.get("deliveryAddress")
    return Customer(
        shop_id=str(data["uid"]) if data.get("uid") else "",
        first_name=billing.first_name,
        last_name=billing.last_name,
        company=billing.company,
        org_no=str(info.get("pno") or ""),
        vat_no=str(info.get("vatNumber") or ""),
        email=str(info.get("email") or ""),
        phone=str(info.get("phoneDay") or ""),
        mobile=str(info.get("phoneMobile") or ""),
        address=billing,
        delivery_address=address(delivery) if delivery and any(delivery.values()) else None,
        language=language,
    )


# --- Orders ---------------------------------------------------------------------------------


def state(data: dict[str, Any]) -> OrderState:
    if data.get("discarded"):
        return "cancelled"
    if not data.get("ordered"):
        return "draft"  # a checkout that was never completed
    if data.get("deliveryStatus") == "delivered":
        return "completed"
    return "processing"


def item_row(item: dict[str, Any], n: int) -> ProductRow:
    costs = item.get("costs") or {}
    unit, vat = ex_vat(costs.get("unit"), f"$.items[{n}].costs.unit")
    discount = ex_vat((item.get("discountInfo") or {}).get("amount"), f"$.items[{n}].discountInfo.amount")[0]
    name = text(item.get("articleName"), "")
    choices = [text(c, "") for c in item.get("choices") or []]
    return ProductRow(
        name=" ".join([name, *choices]).strip(),
        quantity=dec(item.get("quantity", 1), f"$.items[{n}].quantity"),
        unit_price_ex_vat=unit,
        vat_percent=vat,
        article_no=str(item.get("articleNumber") or ""),
        shop_product_id=str(item.get("article") or ""),
        discount_ex_vat=abs(discount),
    )


def _is_cod(method: str, title: str, cod_methods: list[str]) -> bool:
    return method in cod_methods or any(word in title.lower() for word in COD_WORDS)


def order(data: dict[str, Any], items: list[dict[str, Any]], language: str, cod_methods: list[str]) -> Order:
    """An Abicart Order with its OrderItems fetched (``items`` are objects here)."""
    require_sek(data.get("currency"), f"order {data.get('orderNumber') or data.get('uid')}")
    costs = data.get("costs") or {}
    rows: list[OrderRow] = [item_row(item, n) for n, item in enumerate(items)]
    delivery = data.get("delivery") or {}
    method_id = str(delivery.get("method") or "")
    shipping, vat = ex_vat(costs.get("shipment"), "$.costs.shipment")
    if method_id or shipping:
        rows.append(ShippingRow(name=text(delivery.get("name"), language) or "Frakt", unit_price_ex_vat=shipping,
                                vat_percent=vat, method_id=method_id))
    payments = data.get("payments") or []
    main: dict[str, Any] = next((p for p in payments if p.get("method") not in GIFT_CARD_METHODS), {})
    fee, fee_vat = ex_vat(costs.get("payment"), "$.costs.payment")
    method, title = str(main.get("method") or ""), text(main.get("title"), language)
    if fee or method:
        kind = CashOnDeliveryRow if _is_cod(method, title, cod_methods) else PaymentFeeRow
        rows.append(kind(name=title or "Avgift", unit_price_ex_vat=fee, vat_percent=fee_vat))
    discount_info = data.get("discountInfo") or {}
    code = str(discount_info.get("code") or "")
    for n, discount in enumerate(discount_info.get("discounts") or []):
        amount, dvat = ex_vat(discount.get("amount"), f"$.discountInfo.discounts[{n}].amount")
        rows.append(DiscountRow(name=text(discount.get("description"), language) or "Rabatt",
                                unit_price_ex_vat=-abs(amount), vat_percent=dvat, code=code))
    for n, paid in enumerate(p for p in payments if p.get("method") in GIFT_CARD_METHODS):
        amount = ex_vat(paid.get("amount"), f"$.payments[{n}].amount")[0]
        # A gift card is a means of payment: no VAT on its row.
        rows.append(GiftCardRow(name="Presentkort", unit_price_ex_vat=-abs(amount), code=str(paid.get("code") or "")))
    buyer = customer(data.get("customer") or {}, language)
    ordered = data.get("ordered")
    return Order(
        shop_id=str(data["uid"]),
        number=str(data.get("orderNumber") or data["uid"]),
        state=state(data),
        currency=str(data.get("currency") or BASE_CURRENCY),
        created_at=dt.datetime.fromisoformat(ordered) if isinstance(ordered, str) else None,
        customer=buyer,
        billing=buyer.address,
        shipping=buyer.delivery_address,
        rows=rows,
        payment=Payment(method=method, title=title, transaction_id=str(main.get("reference") or "")),
        delivery_method_id=method_id,
        customer_note=str(data.get("customerComment") or ""),
        specter_order_no=str(data.get("externalOrderNumber") or ""),
        discount_codes=[code] if code else [],
    )
