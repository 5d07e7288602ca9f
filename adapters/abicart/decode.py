"""Abicart (Textalk Webshop) JSON-RPC objects to the domain model.

Answers are parsed with :func:`loads`, which keeps every JSON number an exact ``Decimal``. What
the documentation says, and where it is silent (see ``adapters/abicart/README.md``):

- Money in answers is ``{incVat, exVat, vat, vatRate, currency}``, ``vatRate`` a fraction
  (documented). Amounts given bare, or per currency (``{"SEK": 299}``, the form articles are
  written in), are inc or ex VAT as the shop's ``Webshop.priceStoredWithVat`` says (inferred);
  the decoder takes each form.
- An Article's ``pricing`` is its quantity tiers, each with ``qtyFloor``, ``regular`` and
  ``specialOffer`` (documented); every tier is kept, the lowest is the price and its special
  offer the sale price. The Price object's own layout is not documented: ``price`` is read only
  when there is no ``pricing``, as a tier (``regular``/``specialOffer``) or as one money object,
  and ``pricing`` is also looked for inside it.
- An Article's ``stock`` is a Stock object whose quantity is ``stock.stock`` (public code); a
  variant's ``stock`` is a number (documented).
- An article with ``choices`` is sold as its ArticleVariants, each its own Article with its own
  ``articleNumber``. Which options a variant is made of is not documented: its ``choices``
  (``{choiceUid: optionUid}``, as an OrderItem's) or ``choiceOptions`` (option uids) are read.
  Its name is the parent's with the options' names, its price the parent's plus the options'
  ``choiceOptionPrices`` in the base currency.
- Addresses use ``address``, ``address2``, ``postcode``, ``town``, ``company``, with the phone
  numbers in the address (documented); a delivery address has one ``name``. ``info`` is not
  documented: the e-mail and the person or organisation number are looked for under a few names.
- An OrderItem's quantity is in its ``choices`` (documented example); its discount is what its
  ``costs.total`` lacks of ``costs.unit`` times the quantity, else its ``discountInfo``.
  An order-level discount and gift cards are not documented: what the order's ``costs.total``
  lacks of its rows is sent as one discount row.
- ``deliveryStatus`` is ``sent``/``unsent`` (documented examples); ``discarded`` is cancelled.
- The base currency must be SEK (Abicart's own Specter rule): another currency is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from gateway.errors import PermanentError
from gateway.model import (
    Address,
    Article,
    CashOnDeliveryRow,
    Customer,
    DiscountRow,
    InvalidInput,
    Order,
    OrderRow,
    OrderState,
    Payment,
    PaymentFeeRow,
    PriceTier,
    ProductRow,
    ShippingRow,
)

BASE_CURRENCY = "SEK"
COD_WORDS = ("postförskott", "cash on delivery")
CENT = Decimal("0.01")
# Where an order's or customer's ``info`` may keep the e-mail and the person or organisation
# number: not documented, so the plausible names are all read.
EMAIL_KEYS = ("email", "emailAddress", "eMail")
ORG_NO_KEYS = ("pno", "personalNumber", "socialSecurityNumber", "organisationNumber", "organizationNumber",
               "orgNumber", "companyNumber")
VAT_NO_KEYS = ("vatNumber", "vatNo", "vatRegistrationNumber")
_decoder = msgspec.json.Decoder(float_hook=Decimal)


def loads(raw: bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from None


class ShopInfo(msgspec.Struct, kw_only=True, frozen=True):
    """What the shop says of itself (``Webshop.get``), read when connecting and on every poll."""

    base_currency: str = BASE_CURRENCY
    default_language: str = "sv"
    # None: the shop did not say, and an amount without its VAT cannot be read or written.
    price_stored_with_vat: bool | None = None


def shop_info(data: dict[str, Any]) -> ShopInfo:
    stored = data.get("priceStoredWithVat")
    return ShopInfo(base_currency=str(data.get("baseCurrency") or BASE_CURRENCY).upper(),
                    default_language=str(data.get("defaultLanguage") or "sv"),
                    price_stored_with_vat=stored if isinstance(stored, bool) else None)


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


def vat_fraction(rate: Any, where: str) -> Decimal | None:
    """A VAT rate as a fraction (0.25); a rate given as a percent (25) is taken as one too."""
    if rate is None or rate == "":
        return None
    value = dec(rate, where)
    return value / 100 if value >= 1 else value


def vat_percent(rate: Any, where: str = "vatRate") -> Decimal:
    """A VAT fraction as a percent, whole when it is whole: 0.25 -> 25, 0.12 -> 12, 0.06 -> 6."""
    percent = (vat_fraction(rate, where) or Decimal(0)) * 100
    if percent == percent.to_integral_value():
        return percent.quantize(Decimal(1))
    return percent.normalize()


def text(value: Any, language: str) -> str:
    """A per-language text in ``language`` (else Swedish, else the first given); a plain
    string as it is."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or not value:
        return ""
    for lang in (language, "sv"):
        if value.get(lang):
            return str(value[lang])
    return str(next((v for v in value.values() if v), ""))


def uid_of(value: Any) -> str:
    """A uid given bare or as an expanded object (``{"uid": 7, ...}``)."""
    if isinstance(value, dict):
        value = value.get("uid")
    return "" if value is None or isinstance(value, bool) else str(value)


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)T?(Z|[+-]\d{2}:?\d{2})?$")


def when(value: Any) -> dt.datetime | None:
    """A date as Abicart writes them (``2013-01-14T15:04:34Z``, ``2015-01-01 00:00T+01:00``);
    None for anything else (a date is never worth refusing an order for)."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if match is None:
        return None
    day, clock, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        return dt.datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None


# --- Money ----------------------------------------------------------------------------------


def _ex_from_stored(amount: Decimal, rate: Decimal | None, info: ShopInfo, where: str) -> Decimal:
    """An amount as the shop stores prices, ex VAT."""
    if info.price_stored_with_vat is None:
        raise PermanentError(f"{where}: Abicart gave a price without saying whether it includes VAT "
                             "(Webshop.get has no priceStoredWithVat)")
    if not info.price_stored_with_vat:
        return amount
    if rate is None:
        raise PermanentError(f"{where}: a price including VAT, but the article has no VAT rate")
    return (amount / (1 + rate)).quantize(CENT, ROUND_HALF_UP)


def money_ex_vat(value: Any, rate: Decimal | None, info: ShopInfo, where: str) -> Decimal | None:
    """An amount ex VAT from any form Abicart gives it in: a money object (``exVat``, or
    ``incVat`` less ``vat``), per currency (the base currency's), or bare. None: no amount."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        if "exVat" in value and value["exVat"] is not None:
            return dec(value["exVat"], f"{where}.exVat")
        if "incVat" in value and value["incVat"] is not None:
            inc = dec(value["incVat"], f"{where}.incVat")
            if value.get("vat") is not None:
                return inc - dec(value["vat"], f"{where}.vat")
            own = vat_fraction(value.get("vatRate"), f"{where}.vatRate")
            own = rate if own is None else own
            if own is None:
                raise PermanentError(f"{where}: a price including VAT without its VAT rate")
            return (inc / (1 + own)).quantize(CENT, ROUND_HALF_UP)
        for currency in (info.base_currency, BASE_CURRENCY):
            if currency in value:
                return money_ex_vat(value[currency], rate, info, f"{where}.{currency}")
        if not value:
            return None
        raise InvalidInput(f"a price with neither exVat, incVat nor {info.base_currency}: {sorted(value)}", where)
    return _ex_from_stored(dec(value, where), rate, info, where)


def money_rate(value: Any) -> Any:
    """The ``vatRate`` a money object carries, if any."""
    return value.get("vatRate") if isinstance(value, dict) else None


def ex_vat(money: Any, where: str) -> tuple[Decimal, Decimal]:
    """(amount ex VAT, VAT percent) of a money object in an order's costs."""
    if money is None:
        return Decimal(0), Decimal(0)
    if not isinstance(money, dict):
        return dec(money, where), Decimal(0)
    rate = vat_fraction(money.get("vatRate"), f"{where}.vatRate")
    if "exVat" in money:
        amount = dec(money["exVat"], f"{where}.exVat")
    elif money.get("vat") is not None:
        amount = dec(money.get("incVat"), f"{where}.incVat") - dec(money["vat"], f"{where}.vat")
    else:
        amount = (dec(money.get("incVat"), f"{where}.incVat") / (1 + (rate or 0))).quantize(CENT, ROUND_HALF_UP)
    return amount, vat_percent(rate or 0, f"{where}.vatRate")


# --- Catalogue ------------------------------------------------------------------------------


def _tier_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The quantity tiers: ``pricing`` (documented), else inside ``price``, else ``price``
    itself as the one tier (a ``regular``/``specialOffer`` object, or one money object)."""
    price = data.get("price")
    for tiers in (data.get("pricing"), price.get("pricing") if isinstance(price, dict) else None):
        if isinstance(tiers, list) and tiers:
            return [t for t in tiers if isinstance(t, dict)]
    if isinstance(price, dict) and ("regular" in price or "specialOffer" in price):
        return [{"qtyFloor": 1, "regular": price.get("regular"), "specialOffer": price.get("specialOffer")}]
    if price not in (None, {}):
        return [{"qtyFloor": 1, "regular": price}]
    return []


def article_vat(data: dict[str, Any]) -> Decimal | None:
    """The article's VAT rate as a fraction: its ``vatRate``, else one its prices carry."""
    rate = vat_fraction(data.get("vatRate"), "$.vatRate")
    if rate is not None:
        return rate
    for tier in _tier_list(data):
        for kind in ("regular", "specialOffer"):
            found = vat_fraction(money_rate(tier.get(kind)), "$.pricing.vatRate")
            if found is not None:
                return found
    return None


def price_tiers(data: dict[str, Any], info: ShopInfo, extra: Decimal = Decimal(0)) -> list[PriceTier]:
    """Every quantity tier of an article, lowest first, ex VAT; ``extra`` (a variant's options)
    added to each price."""
    rate = article_vat(data)
    tiers = []
    for n, tier in enumerate(_tier_list(data)):
        where = f"$.pricing[{n}]"
        regular = money_ex_vat(tier.get("regular"), rate, info, f"{where}.regular")
        offer = money_ex_vat(tier.get("specialOffer"), rate, info, f"{where}.specialOffer")
        tiers.append(PriceTier(min_quantity=dec(tier.get("qtyFloor") or 1, f"{where}.qtyFloor"),
                               price_ex_vat=None if regular is None else regular + extra,
                               sale_price_ex_vat=None if offer is None else offer + extra))
    return sorted(tiers, key=lambda t: t.min_quantity)


def stock_of(value: Any) -> int | None:
    """An Article's Stock object (``stock.stock``), or a variant's number."""
    if isinstance(value, dict):
        value = value.get("stock")
    if value is None or isinstance(value, bool):
        return None
    return int(Decimal(str(value)))


def _grams_to_kg(value: Any) -> Decimal | None:
    return None if value in (None, "") else dec(value, "$.weight") / 1000


def article(data: dict[str, Any], info: ShopInfo) -> Article:
    """A simple article (one without choices)."""
    language = info.default_language
    rate = article_vat(data)
    tiers = price_tiers(data, info)
    base = tiers[0] if tiers else PriceTier()
    stock = stock_of(data.get("stock"))
    return Article(
        article_no=str(data.get("articleNumber") or ""),
        name=text(data.get("name"), language),
        price_ex_vat=base.price_ex_vat,
        sale_price_ex_vat=base.sale_price_ex_vat,
        vat_percent=None if rate is None else vat_percent(rate),
        weight_kg=_grams_to_kg(data.get("weight")),
        barcode=str(data.get("ean") or ""),
        description=text(data.get("description"), language),
        short_description=text(data.get("introductionText"), language),
        stock=stock,
        manage_stock=stock is not None,
        shop_id=str(data["uid"]),
        is_package=data.get("type") == "package",
        price_tiers=tiers if len(tiers) > 1 else [],
    )


def variant_options(data: dict[str, Any]) -> list[str]:
    """The option uids a variant is made of, from whichever of the plausible forms it has."""
    for key in ("choices", "choiceOptions"):
        value = data.get(key)
        if isinstance(value, dict):
            return [uid_of(v) for k, v in value.items() if k != "quantity" and uid_of(v)]
        if isinstance(value, list):
            return [uid_of(v) for v in value if uid_of(v)]
    return []


def option_names(parent: dict[str, Any], language: str) -> dict[str, str]:
    """Option names the parent itself gives (options expanded as objects), by option uid."""
    names = {}
    choice_options = parent.get("choiceOptions")
    for options in (choice_options.values() if isinstance(choice_options, dict) else []):
        for option in options if isinstance(options, list) else []:
            if isinstance(option, dict) and option.get("uid") is not None and option.get("name"):
                names[str(option["uid"])] = text(option["name"], language)
    return names


def option_price(parent: dict[str, Any], options: list[str], info: ShopInfo, rate: Decimal | None) -> Decimal:
    """What a variant's options add to the parent's price, ex VAT (``choiceOptionPrices`` in
    the base currency; an option without a price adds nothing)."""
    prices = parent.get("choiceOptionPrices")
    if not isinstance(prices, dict):
        return Decimal(0)
    extra = Decimal(0)
    for option in options:
        by_currency = prices.get(option)
        if isinstance(by_currency, dict) and by_currency.get(info.base_currency) is not None:
            where = f"$.choiceOptionPrices.{option}.{info.base_currency}"
            extra += money_ex_vat(by_currency[info.base_currency], rate, info, where) or Decimal(0)
    return extra


def variant(parent: dict[str, Any], data: dict[str, Any], info: ShopInfo, names: dict[str, str]) -> Article:
    """One choice combination of ``parent``: its own number and stock, its options' names and
    prices on top of the parent's."""
    base = article(parent, info)
    options = variant_options(data)
    extra = option_price(parent, options, info, article_vat(parent))
    tiers = price_tiers(parent, info, extra)
    first = tiers[0] if tiers else PriceTier()
    stock = stock_of(data.get("stock"))
    return msgspec.structs.replace(
        base,
        article_no=str(data.get("articleNumber") or ""),
        name=" ".join([base.name, *(names[o] for o in options if names.get(o))]).strip(),
        price_ex_vat=first.price_ex_vat,
        sale_price_ex_vat=first.sale_price_ex_vat,
        price_tiers=tiers if len(tiers) > 1 else [],
        stock=stock,
        manage_stock=stock is not None,
        shop_id=f"{parent['uid']}:{data['uid']}",
        parent_shop_id=str(parent["uid"]),
    )


def articles(data: dict[str, Any], variants: list[dict[str, Any]], info: ShopInfo,
             names: dict[str, str]) -> list[Article]:
    """The sellable articles an Abicart article stands for."""
    if data.get("choices"):
        return [variant(data, v, info, names) for v in variants]
    return [article(data, info)]


# --- Customers ------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    """An object, or an empty one for anything else (a part the shop left out or nulled)."""
    return value if isinstance(value, dict) else {}


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((str(data[k]) for k in keys if data.get(k)), "")


def address(data: Any) -> Address:
    """An invoice address (``firstName``, ``lastName``) or a delivery address (one ``name``)."""
    data = data if isinstance(data, dict) else {}
    first, last = str(data.get("firstName") or ""), str(data.get("lastName") or "")
    if not (first or last) and data.get("name"):
        first, _, last = str(data["name"]).strip().rpartition(" ")
        first, last = (first, last) if first else (last, "")
    return Address(
        line1=str(data.get("address") or ""),
        line2=str(data.get("address2") or ""),
        zip_code=str(data.get("postcode") or ""),
        city=str(data.get("town") or ""),
        country_code=str(data.get("country") or ""),
        company=str(data.get("company") or ""),
        first_name=first,
        last_name=last,
    )


def _delivery(data: Any) -> Address | None:
    """A delivery address other than the invoice address, or None."""
    if not isinstance(data, dict) or data.get("copyAddress"):
        return None
    found = address(data)
    return found if any((found.line1, found.zip_code, found.city, found.first_name, found.company)) else None


def custom_fields(value: Any, language: str) -> dict[str, str]:
    """The extra checkout fields (``custom``): an object of field to value (inferred), or a list
    of ``{name, value}``."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [(v.get("name") or v.get("label") or v.get("key"), v.get("value")) for v in value
                 if isinstance(v, dict)]
    fields = {}
    for key, raw in pairs:
        shown = text(raw, language) if isinstance(raw, dict | str) else "" if raw is None else str(raw)
        if key and shown:
            fields[text(key, language) if isinstance(key, dict) else str(key)] = shown
    return fields


def customer(data: dict[str, Any], language: str) -> Customer:
    """A Customer, or the ``customer`` part of an Order (no uid for a guest)."""
    info = _dict(data.get("info"))
    billing = address(data.get("address"))
    phones = _dict(data.get("address"))
    return Customer(
        shop_id=uid_of(data.get("uid")),
        first_name=billing.first_name,
        last_name=billing.last_name,
        company=billing.company,
        org_no=_first(info, ORG_NO_KEYS),
        vat_no=_first(info, VAT_NO_KEYS),
        email=_first(info, EMAIL_KEYS),
        phone=_first(phones, ("phoneDay", "phoneNight")),
        mobile=str(phones.get("phoneMobile") or ""),
        address=billing,
        delivery_address=_delivery(data.get("deliveryAddress")),
        language=str(data.get("language") or language),
        custom_fields=custom_fields(data.get("custom"), language),
    )


# --- Orders ---------------------------------------------------------------------------------


def state(data: dict[str, Any]) -> OrderState:
    if data.get("discarded"):
        return "cancelled"
    if not data.get("ordered"):
        return "draft"  # a cart: an order that was never placed
    # "sent" is documented; "delivered" is taken too, should a shop use it.
    if str(data.get("deliveryStatus") or "").lower() in ("sent", "delivered"):
        return "completed"
    return "processing"


def quantity(item: dict[str, Any], where: str) -> Decimal:
    """An item's quantity: in its ``choices`` (documented example), or a ``quantity`` of its own."""
    choices = item.get("choices")
    for value in (choices.get("quantity") if isinstance(choices, dict) else None, item.get("quantity")):
        if value is not None:
            return dec(value, where)
    return Decimal(1)


def item_discount(item: dict[str, Any], gross: Decimal, total: Decimal | None, where: str) -> Decimal:
    """The row's whole discount ex VAT: what ``costs.total`` lacks of unit times quantity, else
    ``discountInfo`` (its ``exVat``, or its ``rate`` of the row)."""
    if total is not None and total < gross:
        return gross - total
    info = item.get("discountInfo")
    if not isinstance(info, dict):
        return Decimal(0)
    if info.get("exVat") is not None:
        return abs(dec(info["exVat"], f"{where}.discountInfo.exVat"))
    rate = vat_fraction(info.get("rate"), f"{where}.discountInfo.rate")
    return (gross * rate).quantize(CENT, ROUND_HALF_UP) if rate else Decimal(0)


def item_row(item: dict[str, Any], n: int) -> ProductRow:
    where = f"$.items[{n}]"
    costs = item.get("costs") or {}
    unit, vat = ex_vat(costs.get("unit"), f"{where}.costs.unit")
    qty = quantity(item, f"{where}.choices.quantity")
    total = ex_vat(costs["total"], f"{where}.costs.total")[0] if isinstance(costs.get("total"), dict) else None
    return ProductRow(
        name=text(item.get("articleName"), ""),
        quantity=qty,
        unit_price_ex_vat=unit,
        vat_percent=vat,
        article_no=str(item.get("articleNumber") or ""),
        shop_product_id=uid_of(item.get("article")),
        discount_ex_vat=item_discount(item, unit * qty, total, where),
    )


def _is_cod(method: str, title: str, cod_methods: list[str]) -> bool:
    return method in cod_methods or any(word in title.lower() for word in COD_WORDS)


def payment(data: dict[str, Any], language: str) -> Payment:
    """The order's payment. Payment objects' fields are not documented: the method is read from
    ``method`` (a uid, an id or an object with one), the reference from a few plausible names.
    A paid order paid with one of the tenant's prepaid methods goes to Specter as prepaid."""
    payments = [p for p in data.get("payments") or [] if isinstance(p, dict)]
    main = payments[0] if payments else {}
    method = main.get("method")
    title = main.get("name") or main.get("title") or (method.get("name") if isinstance(method, dict) else None)
    method_id = uid_of(method) if isinstance(method, dict) else "" if method is None else str(method)
    # Abicart says whether the order is paid (paymentStatus), not when: the order's time stands in.
    paid = str(data.get("paymentStatus") or "").lower() == "paid"
    return Payment(method=method_id, title=text(title, language),
                   transaction_id=_first(main, ("reference", "transactionId", "externalReference")),
                   paid_at=when(data.get("ordered")) if paid else None)


def _unexplained_discount(rows: list[OrderRow], costs: dict[str, Any]) -> DiscountRow | None:
    """What the order's total lacks of its rows (an order-level discount or a gift card, neither
    documented), as one discount row with the VAT it took off; None when the rows add up."""
    total = costs.get("total")
    if not isinstance(total, dict) or total.get("exVat") is None:
        return None
    total_ex, _ = ex_vat(total, "$.costs.total")
    rows_ex = sum((r.unit_price_ex_vat * r.quantity - (r.discount_ex_vat if isinstance(r, ProductRow) else 0)
                   for r in rows), Decimal(0))
    missing = rows_ex - total_ex
    if missing <= CENT * len(rows):  # each row's amounts may be rounded by half an öre
        return None
    rows_vat = sum(((r.unit_price_ex_vat * r.quantity - (r.discount_ex_vat if isinstance(r, ProductRow) else 0))
                    * r.vat_percent / 100 for r in rows), Decimal(0))
    rates = sorted({r.vat_percent for r in rows if r.unit_price_ex_vat})
    if total.get("vat") is not None:
        implied = (rows_vat - dec(total["vat"], "$.costs.total.vat")) / missing * 100
        percent = min(rates or [Decimal(0)], key=lambda r: abs(r - implied)) if rates else Decimal(0)
        if abs(percent - implied) > 1:  # no one rate of the order: the nearest whole percent
            percent = implied.quantize(Decimal(1), ROUND_HALF_UP)
    else:
        percent = rates[0] if len(rates) == 1 else Decimal(0)
    return DiscountRow(name="Rabatt", unit_price_ex_vat=-missing, vat_percent=percent,
                       comment="what the order's total lacks of its rows (discount or gift card)")


def order(data: dict[str, Any], items: list[dict[str, Any]], info: ShopInfo, cod_methods: list[str]) -> Order:
    """An Abicart Order with its OrderItems fetched (``items`` are objects here)."""
    require_sek(data.get("currency"), f"order {data.get('orderNumber') or data.get('uid')}")
    language = str(data.get("language") or info.default_language)
    costs = _dict(data.get("costs"))
    rows: list[OrderRow] = [item_row(item, n) for n, item in enumerate(items)]
    delivery = _dict(data.get("delivery"))
    method_id = uid_of(delivery.get("method"))
    shipping, vat = ex_vat(costs.get("shipment"), "$.costs.shipment")
    if method_id or shipping:
        rows.append(ShippingRow(name=text(delivery.get("name"), language) or "Frakt", unit_price_ex_vat=shipping,
                                vat_percent=vat, method_id=method_id))
    paid = payment(data, language)
    fee, fee_vat = ex_vat(costs.get("payment"), "$.costs.payment")
    if fee or paid.method:
        kind = CashOnDeliveryRow if _is_cod(paid.method, paid.title, cod_methods) else PaymentFeeRow
        rows.append(kind(name=paid.title or "Avgift", unit_price_ex_vat=fee, vat_percent=fee_vat))
    missing = _unexplained_discount(rows, costs)
    if missing is not None:
        rows.append(missing)
    names = sorted({str(i["discountInfo"]["name"]) for i in items
                    if isinstance(i.get("discountInfo"), dict) and i["discountInfo"].get("name")})
    buyer = customer(_dict(data.get("customer")), language)
    return Order(
        shop_id=str(data["uid"]),
        number=str(data.get("orderNumber") or data["uid"]),
        state=state(data),
        currency=str(data.get("currency") or info.base_currency),
        created_at=when(data.get("ordered")),
        customer=buyer,
        billing=buyer.address,
        shipping=buyer.delivery_address,
        rows=rows,
        payment=paid,
        delivery_method_id=method_id,
        specter_order_no=str(data.get("externalOrderNumber") or ""),
        discount_codes=names,
    )
