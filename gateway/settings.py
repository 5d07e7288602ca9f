"""Tenants, Specter accounts and every per-tenant setting the seeds describe.

A *tenant* is one shop attached to the gateway; several tenants may share one *Specter account*
(Specter's multishop), and everything Specter reports for that account reaches all of them.
Defaults follow the seeds; where the seeds give none, the default is the cautious choice.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

# Specter takes letters, digits, hyphens and underscores in an article number; no spaces, commas
# or å ä ö & % ¤ # €.
ARTICLE_NO_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_\-]{0,62}$")]
ArticleNo = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]*$", max_length=50)]
PayType = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{1,4}$")]

OrderExport = Literal["on_placement", "manual", "inactive"]


def article_no_problem(article_no: str) -> str | None:
    """Why Specter cannot take this article number, or None when it can."""
    if not article_no:
        return "has no article number"
    if not ARTICLE_NO_RE.match(article_no):
        bad = sorted({c for c in article_no if not re.match(r"[A-Za-z0-9_\-]", c)})
        shown = ", ".join("space" if c == " " else repr(c) for c in bad)
        return f"article number {article_no!r} has characters Specter cannot take ({shown})"
    return None


# Common WooCommerce / Abicart payment method ids and Specter's pay type codes.
DEFAULT_PAYMENT_TYPES: dict[str, str] = {
    "klarna_payments": "K",
    "kco": "KG",
    "klarna_checkout": "KG",
    "dibs_easy": "DP",
    "dibs": "DP",
    "nets_easy": "DP",
    "cod": "P",
    "bacs": "PP",
    "cheque": "PP",
    "swish": "SW",
    "invoice": "I",
    "paypal": "PL",
    "ppcp-gateway": "PL",
    "payson": "PY",
    "svea_checkout": "SCH",
    "collector": "CL",
}


class TenantSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every setting of one tenant, grouped as the seeds group them."""

    # -- Customer creation: Specter matches on e-mail, then person/organisation number.
    ignore_control_email: bool = False  # match on the number only
    ignore_control_org_no: bool = False  # match on the e-mail only; both: always a new customer

    # -- Orders are exported
    order_export: OrderExport = "on_placement"
    send_order_mail: bool = False  # order confirmation to the customer from Specter
    send_order_mail_to_user: bool = False  # a copy to the shop's administrator in Specter
    include_zero_shipping: bool = False
    include_zero_payment_fee: bool = False
    include_zero_cod_fee: bool = False
    include_customer_fields: bool = False
    discount_percent_per_item: bool = False
    company_in_address_line1: bool = False
    shipping_article_no: ArticleNo = "FRAKT"
    discount_article_no: ArticleNo = "RABATT"
    gift_card_article_no: ArticleNo = "PRESENTKORT"
    payment_fee_article_no: ArticleNo = "AVGIFT"
    cod_fee_article_no: ArticleNo = "POSTFORSKOTT"
    gift_wrap_article_no: ArticleNo = "PRESENTINSLAG"
    payment_types: dict[str, PayType] = msgspec.field(default_factory=lambda: dict(DEFAULT_PAYMENT_TYPES))
    delivery_methods: dict[str, str] = {}  # shop method id -> Specter "External key"; unmapped: the id
    delete_order: bool = False  # an order deleted in the shop is deleted in Specter
    # Put before the shop's order number in externalOrderNo, which Specter keeps unique per
    # account: shops sharing one account need different prefixes.
    external_order_prefix: Annotated[str, msgspec.Meta(max_length=10, pattern=r"^[A-Za-z0-9_\-]*$")] = ""
    cash_on_delivery_methods: list[str] = msgspec.field(default_factory=lambda: ["cod"])

    # -- Product export (shop to Specter)
    export_product_on_change: bool = True
    delete_from_specter: bool = True  # seed default: deleting in the shop deletes in Specter
    webshop_id: str = ""  # Specter multishop webshop id
    stock_site_id: str = ""  # Specter stock site orders and new stock are booked on; "": default

    # -- Specter to shop
    stock_sync: bool = True
    article_sync: bool = True
    order_status_sync: bool = True
    stock_sites: list[str] = []  # sites whose available stock feeds this shop; empty: all, summed

    # -- Product import (the get_specter_articles pull)
    import_products: bool = False
    article_group_creates_category: bool = False
    category_active: bool = True
    move_product_to_group_category: bool = False
    import_price_only: bool = False
    tax_classes: dict[str, str] = {}  # VAT percent ("25") -> the shop's tax class

    # -- Shop basics
    currency: str = "SEK"
    language: str = "sv"
    # Open for Specter API v2 price lists; no wire format is known yet.
    price_list_id: str | None = None

    def __post_init__(self) -> None:
        for pct in self.tax_classes:
            try:
                Decimal(pct)
            except ArithmeticError:
                raise ValueError(f"tax_classes: {pct!r} is not a VAT percent") from None


class SpecterAccount(msgspec.Struct, kw_only=True):
    """Credentials for one Specter account (``sbmId``).

    API version 2 signs with ``ApiUserKey`` and ``IntegrationKey`` and sends ``apiUserId``;
    API version 1 signs with "MD5 Key 1" in ``user_key`` and "MD5 Key 2" in ``integration_key``
    and sends no API user.
    """

    id: Slug
    sbm_id: Annotated[int, msgspec.Meta(gt=0)]
    api_version: Literal[1, 2] = 2
    api_user_id: str = ""
    user_key: str = ""  # secret
    integration_key: str = ""  # secret
    base_url: str = "https://api.specter.se/"
    # Unguessable token in this account's callback URLs; set by the gateway.
    callback_token: str = ""

    SECRET_FIELDS = ("user_key", "integration_key")


class Tenant(msgspec.Struct, kw_only=True):
    """One shop attached to the gateway."""

    id: Slug
    name: str = ""
    platform: Slug
    account_id: Slug
    enabled: bool = True
    # The platform's connection settings (URL, API keys, webhook secret, …), validated by the
    # platform's adapter; its secret fields are stored encrypted.
    shop: dict[str, Any] = {}
    settings: TenantSettings = msgspec.field(default_factory=TenantSettings)
    # Unguessable token in this tenant's inbound shop URL; set by the gateway.
    inbound_token: str = ""
