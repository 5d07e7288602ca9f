"""The simulated Specter's records, accounts and the error every Specter answer can carry."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_SITE = "1"
STOCK_KEPT_TYPES = frozenset({"GW", "PA"})  # article types Specter keeps stock for; "TJ" is a service
STATUS_REGISTERED = "1"
STATUS_DELETED = "5"
DELIVERED = "D"


class Code(enum.IntEnum):
    """The error codes the simulator answers with (``0;CODE;message``). Specter's own list is not
    public; these are the simulator's choice and are stable."""

    AUTH = 1  # unknown sbmId, wrong apiUserId or key, checkAccountSettings with another date
    MISSING = 2  # a required field is missing
    DUPLICATE = 3  # externalOrderNo already used (message holds the existing order id)
    UNKNOWN_ACTION = 4  # no such action, or not on this endpoint
    INVALID = 5  # a value breaks a limit or cannot be read (message names the field)
    NOT_FOUND = 6  # the customer, order or article referred to does not exist
    TOO_MANY = 7  # more than 100 articles in one newArticleSubmit
    OPEN_BATCH = 99  # an earlier batch of this flow is still open: 'BATCHNO'


class SpecterError(Exception):
    """Refuses a call; answered as ``0;CODE;message`` (or its XML form), always with HTTP 200."""

    def __init__(self, code: Code, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SimAccount:
    """One Specter account. API version 1 accounts have no API user id; their keys are
    "MD5 Key 1" (in ``user_key``) and "MD5 Key 2" (in ``integration_key``)."""

    sbm_id: int
    api_user_id: str
    user_key: str
    integration_key: str

    @property
    def api_version(self) -> int:
        return 2 if self.api_user_id else 1

    @classmethod
    def parse(cls, spec: str) -> SimAccount:
        """``SBMID:APIUSERID:APIUSERKEY:INTEGRATIONKEY``; API v1: ``SBMID::MD5KEY1:MD5KEY2``."""
        parts = spec.split(":")
        if len(parts) != 4 or not parts[0].isdigit() or not parts[2] or not parts[3]:
            raise ValueError(f"account {spec!r} is not SBMID:APIUSERID:APIUSERKEY:INTEGRATIONKEY")
        return cls(int(parts[0]), parts[1], parts[2], parts[3])


@dataclass(slots=True)
class Article:
    specter_id: str
    article_no: str
    name: str = ""
    price_ex_vat: Decimal = Decimal(0)
    vat_percent: Decimal = Decimal(25)
    buy_price: Decimal | None = None
    weight_kg: Decimal | None = None
    barcode: str = ""
    standard_old_price: Decimal | None = None  # the ordinary price while the article is on sale
    article_type: str = "GW"
    commodity_code: str = ""
    description: str = ""
    short_description: str = ""
    publish_in_webshop: bool = True
    group_code: str = ""
    group_name: str = ""
    in_stock: dict[str, int] = field(default_factory=dict)  # site -> on the shelf
    reserved: dict[str, int] = field(default_factory=dict)  # site -> ordered, not yet delivered
    sent: dict[str, str] = field(default_factory=dict)  # the last newArticleSubmit fields, as sent

    @property
    def stock_kept(self) -> bool:
        return self.article_type in STOCK_KEPT_TYPES

    def available_by_site(self) -> dict[str, int]:
        """What a shop may sell per site: in stock minus ordered but not delivered."""
        if not self.reserved:  # the common case, kept cheap for large stock reads
            return dict(sorted(self.in_stock.items())) or {DEFAULT_SITE: 0}
        sites = self.in_stock.keys() | self.reserved.keys()
        return {s: self.in_stock.get(s, 0) - self.reserved.get(s, 0) for s in sorted(sites)}


@dataclass(slots=True)
class Customer:
    customer_id: str
    name: str
    email: str
    org_no: str
    fields: dict[str, str]  # everything sent, under the names it was sent with


@dataclass(slots=True)
class OrderRow:
    article_no: str
    name: str
    price_ex_vat: Decimal
    quantity: Decimal
    vat_percent: Decimal
    comment: str = ""


@dataclass(slots=True)
class Order:
    order_id: str
    order_no: str
    customer_id: str
    external_order_no: str
    stock_site: str
    rows: list[OrderRow]
    fields: dict[str, str]  # every parameter received except the key, verbatim
    status_id: str = STATUS_REGISTERED
    delivery_status: str = ""  # "D" once delivered
    tracking_numbers: list[str] = field(default_factory=list)
    invoice_ids: list[str] = field(default_factory=list)

    @property
    def reserves_stock(self) -> bool:
        return self.delivery_status != DELIVERED and self.status_id != STATUS_DELETED
