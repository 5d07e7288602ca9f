"""What the engine asks Specter to store, in the gateway's own words.

The engine builds these from a shop order and the tenant's settings; the client alone turns them
into Specter's wire format (:mod:`gateway.specter.forms`). Articles and customers need no
document of their own: the domain's :class:`~gateway.model.Article` and
:class:`~gateway.model.Customer` are what Specter gets of them.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class SpecterOrderRow(msgspec.Struct, frozen=True, kw_only=True):
    """One order row as Specter books it: a product, or a fee, discount or gift card booked on
    the article number the tenant configured for it."""

    article_no: str
    name: str
    price_ex_vat: Decimal  # per unit; negative for discounts and gift cards
    quantity: Decimal
    vat_percent: Decimal
    comment: str = ""


class SpecterOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order for Specter. Empty optional texts are not sent, so Specter's defaults apply."""

    customer_id: str  # Specter's id of the customer, created or matched first
    external_order_no: str  # Specter refuses a second order with it: the once-only key
    currency: str
    language: str
    customer_reference: str
    send_order_mail: bool
    send_order_mail_to_user: bool
    webshop_id: str = ""  # Specter multishop
    stock_site_id: str = ""  # "": Specter's default stock site
    pay_type: str = ""  # Specter's payment type code, e.g. K (Klarna)
    # The payment provider's transaction or reservation id: completing the order in Specter then
    # captures the card payment or activates the Klarna/DIBS invoice.
    payment_reference: str = ""
    prepaid: bool = False  # paid at checkout
    delivery_method: str = ""  # matched against the delivery method's "External key" in Specter
    published_comment: str = ""  # shown on the order's documents
    internal_comment: str = ""
    rows: list[SpecterOrderRow] = []
