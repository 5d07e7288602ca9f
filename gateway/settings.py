"""Tenants, Specter accounts and every per-tenant setting of the connectors' settings pages.

A *tenant* is one shop attached to the gateway; several tenants may share one *Specter account*
(Specter's multishop), and everything Specter reports for that account reaches all of them.
Defaults follow the connectors; where they give none, the default is the cautious choice.
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
# Payment methods the customer pays at checkout (card, Klarna, Swish, PayPal), so a paid order
# was paid in advance. Cash on delivery and invoices are paid later, whatever the shop's paid date.
DEFAULT_PREPAID_PAYMENT_METHODS = ("klarna_payments", "kco", "klarna_checkout", "dibs_easy", "dibs", "nets_easy",
                                   "stripe", "woocommerce_payments", "swish", "paypal", "ppcp-gateway")
# Specter's pay types for money that comes after delivery: cash on delivery, invoice.
PAID_AFTER_DELIVERY = {"P": "is paid on delivery", "I": "is paid by invoice"}


# What an order change from Specter is, as order_status_map names it, besides Specter's own
# status ids (numbers); one key a change, the first that applies: removed, deleted, delivered,
# else the status id.
ORDER_CHANGES = ("delivered", "deleted", "removed")
STATUS_ID_RE = re.compile(r"^[0-9]+$")
# Today's behaviour: a delivered order is completed, a deleted or removed one cancelled.
DEFAULT_ORDER_STATUS_MAP = {"delivered": "completed", "deleted": "cancelled", "removed": "cancelled"}


# The groups of the connectors' settings pages, in their order there.
CUSTOMER_CREATION = "Customer creation"
ORDER_EXPORT = "Orders are exported"
PRODUCT_EXPORT = "Product export"
SPECTER_TO_SHOP = "Specter to shop"
PRODUCT_IMPORT = "Product import"
SHOP_BASICS = "Shop basics"
RECONCILIATION = "Reconciliation"
SETTING_GROUPS = (CUSTOMER_CREATION, ORDER_EXPORT, PRODUCT_EXPORT, SPECTER_TO_SHOP, PRODUCT_IMPORT, SHOP_BASICS,
                  RECONCILIATION)

# Where a setting's group goes in its JSON schema (an OpenAPI extension keyword).
GROUP_KEY = "x-group"


def setting(group: str, title: str, description: str) -> msgspec.Meta:
    """A setting's group, label and help text, as the console's form and the OpenAPI schema show them."""
    if group not in SETTING_GROUPS:
        raise ValueError(f"{group!r} is not one of the settings groups")
    return msgspec.Meta(title=title, description=description, extra_json_schema={GROUP_KEY: group})


class TenantSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every setting of one tenant; each field says its group, label and help text."""

    ignore_control_email: Annotated[bool, setting(
        CUSTOMER_CREATION, "Ignore e-mail when matching",
        "Specter matches an existing customer on the e-mail, then on the person or organisation number; "
        "when on, it matches on the number only.")] = False
    ignore_control_org_no: Annotated[bool, setting(
        CUSTOMER_CREATION, "Ignore person/organisation number when matching",
        "When on, Specter matches on the e-mail only. With both on, every order creates a new customer.")] = False

    order_export: Annotated[OrderExport, setting(
        ORDER_EXPORT, "Order export",
        "on_placement: each order is sent as it is placed; manual: only by \"Transfer order\"; "
        "inactive: no order is sent.")] = "on_placement"
    send_order_mail: Annotated[bool, setting(
        ORDER_EXPORT, "Send order confirmation", "Specter e-mails its order confirmation to the customer.")] = False
    send_order_mail_to_user: Annotated[bool, setting(
        ORDER_EXPORT, "Send a copy to the administrator",
        "Specter e-mails a copy of the order confirmation to the shop's administrator in Specter.")] = False
    include_zero_shipping: Annotated[bool, setting(
        ORDER_EXPORT, "Include zero-amount shipping", "Send the shipping row even when shipping is free.")] = False
    include_zero_payment_fee: Annotated[bool, setting(
        ORDER_EXPORT, "Include zero-amount payment fee",
        "Send the payment fee row even when the payment method has no fee.")] = False
    include_zero_cod_fee: Annotated[bool, setting(
        ORDER_EXPORT, "Include zero-amount cash-on-delivery fee",
        "Send the cash-on-delivery fee row even when there is no fee (on cash-on-delivery orders only).")] = False
    include_customer_fields: Annotated[bool, setting(
        ORDER_EXPORT, "Include custom fields",
        "Put the order's and the customer's custom fields in the order's internal comment in Specter.")] = False
    discount_percent_per_item: Annotated[bool, setting(
        ORDER_EXPORT, "Discount per item",
        "Send each product's discount as a row of its own below the product, instead of one discount row "
        "per VAT rate.")] = False
    company_in_address_line1: Annotated[bool, setting(
        ORDER_EXPORT, "Company name in address line 1",
        "For a company customer, the company name becomes address line 1 and the street moves down a line.")] = False
    shipping_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Shipping article number", "The Specter article number of shipping rows.")] = "FRAKT"
    discount_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Discount article number", "The Specter article number of discount rows.")] = "RABATT"
    gift_card_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Gift card article number",
        "The Specter article number of gift card rows (what a gift card paid, off the order).")] = "PRESENTKORT"
    payment_fee_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Payment fee article number", "The Specter article number of payment fee rows.")] = "AVGIFT"
    cod_fee_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Cash-on-delivery fee article number",
        "The Specter article number of cash-on-delivery fee rows.")] = "POSTFORSKOTT"
    gift_wrap_article_no: Annotated[ArticleNo, setting(
        ORDER_EXPORT, "Gift wrap article number", "The Specter article number of gift wrap rows.")] = "PRESENTINSLAG"
    payment_types: Annotated[dict[str, PayType], setting(
        ORDER_EXPORT, "Payment types",
        "The shop's payment method id = Specter's pay type code (capital letters), one a line.")] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_PAYMENT_TYPES))
    delivery_methods: Annotated[dict[str, str], setting(
        ORDER_EXPORT, "Delivery methods",
        "The shop's delivery method id = Specter's \"External key\" of the delivery method, one a line. "
        "A method's instance (WooCommerce's flat_rate:3) may be listed on its own, or by its method id "
        "(flat_rate) for all of them; a method not listed is sent as its id.")] = {}
    delete_order: Annotated[bool, setting(
        ORDER_EXPORT, "Delete orders", "An order deleted in the shop is deleted in Specter.")] = False
    external_order_prefix: Annotated[str, msgspec.Meta(max_length=10, pattern=r"^[A-Za-z0-9_\-]*$"), setting(
        ORDER_EXPORT, "Order number prefix",
        "Put before the shop's order number in Specter's external order number, which Specter keeps unique "
        "per account: shops sharing one account need different prefixes.")] = ""
    cash_on_delivery_methods: Annotated[list[str], setting(
        ORDER_EXPORT, "Cash-on-delivery payment methods",
        "The shop's payment method ids that mean cash on delivery.")] = msgspec.field(default_factory=lambda: ["cod"])
    prepaid_payment_methods: Annotated[list[str], setting(
        ORDER_EXPORT, "Prepaid payment methods",
        "The shop's payment method ids paid at checkout (card, Klarna, Swish and the like), one a line: a paid "
        "order paid with one of them goes to Specter as prepaid. Never cash on delivery or invoice.")] = msgspec.field(
        default_factory=lambda: list(DEFAULT_PREPAID_PAYMENT_METHODS))

    export_product_on_change: Annotated[bool, setting(
        PRODUCT_EXPORT, "Export products on change",
        "A product created or changed in the shop is sent to Specter.")] = True
    delete_from_specter: Annotated[bool, setting(
        PRODUCT_EXPORT, "Delete products from Specter",
        "A product deleted in the shop is deleted in Specter.")] = True
    update_shared_articles: Annotated[bool, setting(
        PRODUCT_EXPORT, "Update shared articles",
        "A product whose article number another shop on the same Specter account exported, or that came "
        "from Specter, may change or delete that article in Specter. When off, such a product is only "
        "created in Specter if it is missing there, never overwritten or deleted.")] = False
    webshop_id: Annotated[str, setting(
        PRODUCT_EXPORT, "Webshop id", "The shop's webshop id in Specter (multishop); empty: none.")] = ""
    stock_site_id: Annotated[str, setting(
        PRODUCT_EXPORT, "Stock site id",
        "The Specter stock site orders and new articles' stock are booked on; empty: Specter's default.")] = ""

    stock_sync: Annotated[bool, setting(
        SPECTER_TO_SHOP, "Stock", "Stock levels changed in Specter are sent to the shop.")] = True
    article_sync: Annotated[bool, setting(
        SPECTER_TO_SHOP, "Article data",
        "Article data changed in Specter (name, prices, VAT, weight, barcode, texts) is sent to the shop.")] = True
    order_status_sync: Annotated[bool, setting(
        SPECTER_TO_SHOP, "Order status",
        "Orders changed in Specter are updated in the shop: their status as the order statuses say, and "
        "the tracking numbers of their parcels.")] = True
    order_status_map: Annotated[dict[str, str], setting(
        SPECTER_TO_SHOP, "Order statuses",
        "How an order change in Specter shows in the shop, one a line: delivered (delivery status D), deleted "
        "(status 5), removed (the order removed from Specter) or one of Specter's status ids (a number) = the "
        "shop's order status: pending, processing, on_hold, completed, cancelled, refunded, failed, or one of the "
        "platform's own (a WooCommerce plugin's status, without wc-). A change not listed leaves the shop order's "
        "status as it is. Tracking numbers are shown to the shop owner and the customer either way.")] = \
        msgspec.field(default_factory=lambda: dict(DEFAULT_ORDER_STATUS_MAP))
    stock_sites: Annotated[list[str], setting(
        SPECTER_TO_SHOP, "Stock sites",
        "The Specter stock sites whose available stock feeds this shop, comma separated; empty: every site, "
        "summed.")] = []

    import_products: Annotated[bool, setting(
        PRODUCT_IMPORT, "Import products",
        "Articles changed in Specter that the shop lacks are created in the shop.")] = False
    article_group_creates_category: Annotated[bool, setting(
        PRODUCT_IMPORT, "Article groups as categories",
        "An article's group in Specter becomes a category in the shop.")] = False
    category_active: Annotated[bool, setting(
        PRODUCT_IMPORT, "Categories active", "Categories created from article groups are visible in the shop.")] = True
    move_product_to_group_category: Annotated[bool, setting(
        PRODUCT_IMPORT, "Move products to their group's category",
        "A product already in the shop is moved to its article group's category too, not only a new one.")] = False
    import_price_only: Annotated[bool, setting(
        PRODUCT_IMPORT, "Prices only", "Only prices are written to the shop's products; texts and categories "
        "are left as they are.")] = False
    unpublished_articles: Annotated[Literal["draft", "skip"], setting(
        PRODUCT_IMPORT, "Articles not for the web shop",
        "An article Specter does not publish in the web shop is imported as an unpublished product (draft), "
        "or not at all (skip). A product already in the shop stays as it is.")] = "draft"
    tax_classes: Annotated[dict[str, str], setting(
        PRODUCT_IMPORT, "Tax classes",
        "VAT percent = the shop's tax class, one a line (e.g. 12=reduced-rate); a VAT rate not listed uses the "
        "platform's default classes.")] = {}

    currency: Annotated[str, setting(SHOP_BASICS, "Currency", "The shop's currency code.")] = "SEK"
    language: Annotated[str, setting(
        SHOP_BASICS, "Language", "The language code orders are sent to Specter with.")] = "sv"
    price_list_id: Annotated[str | None, setting(
        SHOP_BASICS, "Price list", "Reserved for Specter API version 2 price lists; not sent yet.")] = None

    reconcile_minutes: Annotated[int, msgspec.Meta(ge=0), setting(
        RECONCILIATION, "Reconcile every (minutes)",
        "How often the shop is compared with Specter: its stock levels and prices (drift Specter owns is "
        "healed) and its recent orders (one Specter lacks is listed). Runs at the first poll of each period, "
        "e.g. 1440 for once a day; 0: only when asked (the console's button, the CLI, the admin API).")] = 0
    reconcile_order_days: Annotated[int, msgspec.Meta(ge=1, le=365), setting(
        RECONCILIATION, "Orders of the last days",
        "How many days back a reconciliation looks for shop orders Specter lacks (1 to 365).")] = 7

    def __post_init__(self) -> None:
        for method in self.prepaid_payment_methods:
            pay_type = "P" if method in self.cash_on_delivery_methods else self.payment_types.get(method, "")
            later = PAID_AFTER_DELIVERY.get(pay_type)
            if later:
                raise ValueError(f"prepaid_payment_methods: {method!r} {later}, not at checkout")
        for key, status in self.order_status_map.items():
            if key not in ORDER_CHANGES and not STATUS_ID_RE.match(key):
                raise ValueError(f"order_status_map: {key!r} is no order change of Specter's: use "
                                 f"{', '.join(ORDER_CHANGES)} or a Specter status id (a number)")
            if not status.strip():
                raise ValueError(f"order_status_map: {key} names no shop status: give one (e.g. {key}=completed), "
                                 f"or leave {key} out to keep the shop order's status")
        for pct in self.tax_classes:
            try:
                Decimal(pct)
            except ArithmeticError:
                raise ValueError(f"tax_classes: {pct!r} is not a VAT percent") from None


SPECTER_BASE_URL = "https://api.specter.se/"  # Specter's own API: production, real orders


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
    base_url: str = SPECTER_BASE_URL
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
