"""The domain model: what flows between a shop and Specter, free of HTTP and wire formats.

Adapters decode their platform's payloads into these Structs; the Specter client encodes them
into Specter's wire format. Money is always ``Decimal`` (never float), quantities are integers.
Decoding untrusted input goes through :func:`decode`, which raises :class:`InvalidInput` naming
the offending field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import msgspec

T = TypeVar("T")


class InvalidInput(ValueError):
    """Input that does not fit the model; ``field`` is a JSON path such as ``$.rows[2].quantity``."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _field_of(message: str) -> str | None:
    # msgspec ends its messages with "- at `$.path`"; keep the path for the caller.
    marker = " - at `"
    if marker in message:
        return message.rsplit(marker, 1)[1].rstrip("`")
    return None


def decode(data: bytes | str, type_: type[T]) -> T:
    """Decode JSON into a model type, raising :class:`InvalidInput` that names the field."""
    try:
        return msgspec.json.decode(data, type=type_)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc), _field_of(str(exc))) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from None


def convert(obj: Any, type_: type[T]) -> T:
    """Convert already-parsed data (dicts, lists) into a model type, like :func:`decode`."""
    try:
        return msgspec.convert(obj, type=type_, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc), _field_of(str(exc))) from None


def to_builtins(obj: Any) -> Any:
    """A model object as plain JSON-able data (Decimals become strings)."""
    return msgspec.to_builtins(obj)


class Model(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base for every domain Struct: keyword-only and tolerant of fields added later."""


NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]

# An object's id as shops give them (a WooCommerce or Abicart number, a PHP shop's id): letters,
# digits and - _ . only. Anything else (spaces, control characters, a path) is refused where it
# enters, before it is stored and retried.
SHOP_ID_MAX = 64
SHOP_ID_RE = re.compile(rf"^[A-Za-z0-9_.\-]{{1,{SHOP_ID_MAX}}}$")


def shop_id_problem(value: str, what: str = "id") -> str | None:
    """Why ``value`` is no plain shop id, or None."""
    if SHOP_ID_RE.fullmatch(value):
        return None
    if not value:
        return f"the {what} is empty"
    if len(value) > SHOP_ID_MAX:
        return f"the {what} has {len(value)} characters; a shop's id has at most {SHOP_ID_MAX}"
    return f"the {what} {value!r} is not a shop's id (letters, digits, - _ . only)"
Quantity = Annotated[int, msgspec.Meta(ge=0)]
VatPercent = Decimal  # 0..100, checked by _check_vat (msgspec cannot bound a Decimal)


def _check_vat(value: Decimal | None) -> None:
    if value is not None and not (0 <= value <= 100):
        raise ValueError(f"vat_percent must be between 0 and 100, got {value}")


class ArticleGroup(Model):
    """Specter's article group; becomes a category in the shop."""

    code: NonEmpty
    name: str = ""
    parent_code: str | None = None


class PriceTier(Model):
    """A quantity price: from ``min_quantity`` items up, each costs ``price_ex_vat``, or
    ``sale_price_ex_vat`` while the article is on sale. The lowest tier is the ordinary price."""

    min_quantity: Decimal = Decimal(1)
    price_ex_vat: Decimal | None = None
    sale_price_ex_vat: Decimal | None = None


class Article(Model):
    """One sellable article. A shop product with variants yields one Article per variant, each
    with its own article number (Specter has no parent/child articles)."""

    article_no: str  # may be empty on a shop product; the export flow refuses it then
    name: str = ""
    price_ex_vat: Decimal | None = None
    sale_price_ex_vat: Decimal | None = None  # set while the article is on sale
    vat_percent: VatPercent | None = None
    weight_kg: Decimal | None = None
    barcode: str = ""
    buy_price: Decimal | None = None
    description: str = ""
    short_description: str = ""
    stock: int | None = None  # shop's stock; sent to Specter only for an article new to it
    manage_stock: bool = True
    group: ArticleGroup | None = None
    shop_id: str = ""  # the shop's id of this product or variation
    parent_shop_id: str | None = None  # the product a variation belongs to
    is_package: bool = False  # product packages (bundles) are never exported
    specter_id: str | None = None
    # False: Specter says the web shop is not to show it; a product imported for it is created
    # unpublished (or not at all). None: not said, as for every article a shop reports.
    published: bool | None = None
    # Open for price lists and per-language texts (Specter API v2); no wire format yet.
    prices: dict[str, Decimal] = {}
    texts: dict[str, str] = {}
    # Every quantity tier the shop keeps, the ordinary price first; empty when the shop has one
    # price only. Not sent to Specter yet (its tiered prices will use them).
    price_tiers: list[PriceTier] = []

    def __post_init__(self) -> None:
        _check_vat(self.vat_percent)


class Address(Model):
    line1: str = ""
    line2: str = ""
    zip_code: str = ""
    city: str = ""
    country_code: str = ""
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    attention: str = ""


class Customer(Model):
    """A shop customer. Customer data flows one way only: shop to Specter."""

    shop_id: str = ""  # empty for a guest
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    org_no: str = ""  # person or organisation number
    vat_no: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    address: Address = msgspec.field(default_factory=Address)
    delivery_address: Address | None = None
    currency: str = "SEK"
    language: str = ""
    custom_fields: dict[str, str] = {}

    @property
    def is_company(self) -> bool:
        return bool(self.company)

    @property
    def display_name(self) -> str:
        """The name Specter keys a customer on: company name, else "First Last"."""
        return self.company or f"{self.first_name} {self.last_name}".strip()


# --- Order rows: one typed row per kind today's connectors send ------------------------------------


class _Row(Model, tag_field="kind"):
    name: str = ""
    quantity: Decimal = Decimal(1)
    unit_price_ex_vat: Decimal = Decimal(0)
    vat_percent: VatPercent = Decimal(0)
    comment: str = ""

    def __post_init__(self) -> None:
        _check_vat(self.vat_percent)


class ProductRow(_Row, tag="product"):
    """A product or variant; ``unit_price_ex_vat`` is before discounts, and ``discount_ex_vat``
    the row's whole discount (coupons spread over the rows by the shop). The engine turns
    discounts into negative rows, per order or per item as the tenant's settings say."""

    article_no: str = ""
    shop_product_id: str = ""  # the product (or variation) to fetch when Specter lacks the article
    discount_ex_vat: Decimal = Decimal(0)


class ShippingRow(_Row, tag="shipping"):
    method_id: str = ""  # the shop's delivery method id, Specter's "External key"


class PaymentFeeRow(_Row, tag="payment_fee"):
    pass


class CashOnDeliveryRow(_Row, tag="cod_fee"):
    pass


class DiscountRow(_Row, tag="discount"):
    """A discount not already spread over the product rows (an order-level rebate); its unit
    price is negative."""

    code: str = ""
    percent: Decimal | None = None


class GiftCardRow(_Row, tag="gift_card"):
    """Payment by gift card, sent as its own negative row."""

    code: str = ""


class GiftWrapRow(_Row, tag="gift_wrap"):
    pass


OrderRow = ProductRow | ShippingRow | PaymentFeeRow | CashOnDeliveryRow | DiscountRow | GiftCardRow | GiftWrapRow

OrderState = Literal[
    "draft", "pending", "processing", "on_hold", "completed", "cancelled", "refunded", "failed", "deleted", "custom"
]
# "custom": a status a shop's plugin added (WooCommerce lets plugins register their own). The
# gateway knows nothing of what it means, so such an order is exported only when asked to.

# The statuses the gateway may ask a shop order to take (``OrderStatusUpdate.shop_status``), in
# platform-neutral words; a platform may take others of its own (a WooCommerce plugin's status).
SHOP_ORDER_STATUSES = ("pending", "processing", "on_hold", "completed", "cancelled", "refunded", "failed")


class Payment(Model):
    method: str = ""  # the shop's payment method id, mapped to a Specter pay type by settings
    title: str = ""
    transaction_id: str = ""  # Klarna / DIBS / … reference, so Specter can capture on delivery
    paid_at: dt.datetime | None = None


class Order(Model):
    shop_id: NonEmpty
    number: str = ""
    state: OrderState = "pending"
    currency: str = "SEK"
    created_at: dt.datetime | None = None
    customer: Customer = msgspec.field(default_factory=Customer)
    billing: Address = msgspec.field(default_factory=Address)
    shipping: Address | None = None
    rows: list[OrderRow] = []
    payment: Payment = msgspec.field(default_factory=Payment)
    delivery_method_id: str = ""
    customer_note: str = ""
    customer_reference: str = ""
    specter_order_no: str = ""  # written back to the shop once Specter has the order
    discount_codes: list[str] = []  # coupon codes, to name the discount rows
    custom_fields: dict[str, str] = {}
    # Set by the tenant's rules (gateway/rules/), never by a shop: empty means the tenant's
    # settings decide (stock_site_id, webshop_id) or nothing is added (internal_comment).
    stock_site_id: str = ""
    webshop_id: str = ""
    internal_comment: str = ""


# --- Specter to shop ------------------------------------------------------------------------------


class StockLevel(Model):
    """The quantity a shop may sell: Specter's available quantity (in stock minus ordered)."""

    article_no: NonEmpty
    available: int
    specter_id: str = ""
    # Where the gateway last saw this article in the shop (from its binding), so an adapter can
    # skip looking it up; empty when unknown.
    shop_id: str = ""
    parent_shop_id: str = ""


class OrderStatusUpdate(Model):
    """An order change read from Specter, for the shop order with ``external_order_no``."""

    specter_order_no: str
    external_order_no: str = ""
    delivered: bool = False
    deleted: bool = False
    tracking_numbers: list[str] = []  # every parcel's, as Specter lists the order's deliveries
    status_id: str = ""  # Specter's own status code, for changes other than delivered/deleted
    delivery_status: str = ""
    # What the tenant's order_status_map makes of this change: the shop status to set, in the
    # words of SHOP_ORDER_STATUSES (or a platform's own); "" leaves the order's status as it is.
    # The engine fills it in before the shop sees the change.
    shop_status: str = ""


# --- Events from shops ----------------------------------------------------------------------------

ShopObject = Literal["order", "customer", "product"]
ShopAction = Literal["created", "updated", "deleted", "export"]


class ShopEvent(Model):
    """A hint from a shop that an object changed. Handlers re-fetch the object before acting,
    because webhook bodies can be stale, repeated or out of order."""

    object: ShopObject
    action: ShopAction
    object_id: NonEmpty
    # What the shop sent, kept for the event log and for objects that cannot be re-fetched
    # (a deleted product).
    payload: dict[str, Any] = {}
    # Identifies this change so that a repeated delivery is stored once; None: every delivery
    # is a new event.
    dedupe_key: str | None = None
