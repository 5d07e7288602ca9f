"""Specter's limits, checked before anything is sent.

An article or customer that breaks one is not sent; the reason names the shop object and the
field. An order's free-text field that is too long is shortened and the shortening noted: a
comment must never stop an order.
"""

from __future__ import annotations

from gateway.model import Article, Customer
from gateway.settings import article_no_problem

ARTICLE_NAME_MAX = 140
CUSTOMER_LIMITS = {
    "display_name": ("name", 100),
    "email": ("e-mail", 100),
    "first_name": ("first name", 50),
    "last_name": ("last name", 50),
    "org_no": ("organisation number", 20),
    "vat_no": ("VAT number", 30),
    "phone": ("phone number", 50),
    "mobile": ("mobile number", 50),
}
ORDER_TEXT_LIMITS = {"customerOrderReference": 50, "externalDeliveryMethod": 100}


def article_problem(article: Article) -> str | None:
    """Why this article cannot go to Specter, or None."""
    problem = article_no_problem(article.article_no)
    if problem:
        return problem
    if article.is_package:
        return "is a product package, which the integration does not export"
    if len(article.name) > ARTICLE_NAME_MAX:
        return f"name is {len(article.name)} characters; Specter takes at most {ARTICLE_NAME_MAX}"
    return None


def customer_problem(customer: Customer) -> str | None:
    if not customer.email:
        return "has no e-mail address, which Specter requires"
    for attr, (label, limit) in CUSTOMER_LIMITS.items():
        value = getattr(customer, attr)
        if len(value) > limit:
            return f"{label} is {len(value)} characters; Specter takes at most {limit}"
    return None


def shorten(fields: dict[str, str]) -> list[str]:
    """Shorten over-long free-text order fields in place; answer what was shortened."""
    notes = []
    for name, limit in ORDER_TEXT_LIMITS.items():
        value = fields.get(name, "")
        if len(value) > limit:
            fields[name] = value[:limit]
            notes.append(f"{name} shortened from {len(value)} to {limit} characters")
    return notes
