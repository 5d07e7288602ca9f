"""Specter's field limits, checked before anything is sent.

An article or customer that breaks one is not sent; the reason names the field. An order's
free-text field that is too long is shortened and the shortening noted: a comment must never
stop an order. Fields are named as the user knows them, since the reasons and notes are shown in
the event log.
"""

from __future__ import annotations

import msgspec

from gateway.model import Article, Customer
from gateway.settings import article_no_problem
from gateway.specter.documents import SpecterOrder

ARTICLE_NAME_MAX = 140

# Customer attribute: (the field's name for the user, Specter's limit in characters).
CUSTOMER_LIMITS: dict[str, tuple[str, int]] = {
    "display_name": ("name", 100),
    "email": ("e-mail", 100),
    "first_name": ("first name", 50),
    "last_name": ("last name", 50),
    "org_no": ("organisation number", 20),
    "vat_no": ("VAT number", 30),
    "phone": ("phone number", 50),
    "mobile": ("mobile number", 50),
}

# SpecterOrder attribute: (the field's name for the user, Specter's limit in characters).
ORDER_TEXT_LIMITS: dict[str, tuple[str, int]] = {
    "customer_reference": ("customer reference", 50),
    "delivery_method": ("delivery method", 100),
}


def article_problem(article: Article) -> str | None:
    """Which of Specter's limits this article breaks, or None."""
    problem = article_no_problem(article.article_no)
    if problem:
        return problem
    if len(article.name) > ARTICLE_NAME_MAX:
        return f"name is {len(article.name)} characters; Specter takes at most {ARTICLE_NAME_MAX}"
    return None


def customer_problem(customer: Customer) -> str | None:
    """Which of Specter's limits this customer breaks, or None."""
    if not customer.email:
        return "has no e-mail address, which Specter requires"
    for attr, (label, limit) in CUSTOMER_LIMITS.items():
        value: str = getattr(customer, attr)
        if len(value) > limit:
            return f"{label} is {len(value)} characters; Specter takes at most {limit}"
    return None


def shorten(order: SpecterOrder) -> tuple[SpecterOrder, list[str]]:
    """The order with its over-long free-text fields cut to Specter's limits, and a note on
    each field that was cut."""
    cut: dict[str, str] = {}
    notes = []
    for attr, (label, limit) in ORDER_TEXT_LIMITS.items():
        value: str = getattr(order, attr)
        if len(value) > limit:
            cut[attr] = value[:limit]
            notes.append(f"{label} shortened from {len(value)} to {limit} characters")
    return msgspec.structs.replace(order, **cut), notes
