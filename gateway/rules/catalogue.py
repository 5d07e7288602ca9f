"""Ready-made rules for the common cases, each an example to copy into a rule set and adjust.

Every entry is a complete rule; tests check that each passes the checks a saved rule passes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.rules.language import Rule

CATALOGUE: list[dict[str, Any]] = [
    {"title": "B2B orders to another stock site",
     "description": "Orders from company customers (a company name on the order) are booked on stock site 2.",
     "rule": {"name": "b2b-stock-site", "flow": "order_to_specter",
              "when": {"field": "customer.is_company", "op": "equals", "value": True},
              "actions": [{"do": "set", "field": "stock_site_id", "value": "2"}]}},
    {"title": "Prefix article numbers in Specter",
     "description": "Articles are W-<number> in Specter. Put the rule in both flows that send articles "
                    "(orders and products); stock and article data from Specter get the prefix taken off again.",
     "rule": {"name": "prefix-w", "flow": "order_to_specter",
              "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]},
     "also": {"name": "prefix-w-articles", "flow": "article_to_specter",
              "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]}},
    {"title": "Skip orders paid with a payment method",
     "description": "Orders paid only with the gift card method are not sent to Specter.",
     "rule": {"name": "skip-gift-card-only", "flow": "order_to_specter",
              "when": {"field": "payment.method", "op": "equals", "value": "giftcard"},
              "actions": [{"do": "skip", "reason": "paid by gift card only; booked by hand"}]}},
    {"title": "The customer's note in the internal comment",
     "description": "The note the customer wrote at checkout goes to Specter's internal comment as well.",
     "rule": {"name": "note-internal", "flow": "order_to_specter",
              "when": {"not": {"field": "customer_note", "op": "empty"}},
              "actions": [{"do": "set", "field": "internal_comment", "template": "Customer note: {customer_note}"}]}},
    {"title": "Never export articles of a group",
     "description": "Articles of group 12 stay in the shop.",
     "rule": {"name": "not-group-12", "flow": "article_to_specter",
              "when": {"field": "group", "op": "equals", "value": "12"},
              "actions": [{"do": "skip", "reason": "group 12 is never exported"}]}},
    {"title": "Map delivery methods",
     "description": "The shop's delivery method ids as Specter's delivery keys, by a table.",
     "rule": {"name": "delivery-map", "flow": "order_to_specter",
              "actions": [{"do": "map", "field": "delivery_method_id",
                           "table": {"flat_rate": "PN", "local_pickup": "HAMT"}}]}},
    {"title": "A handling fee on large foreign orders",
     "description": "Orders over 5000 (VAT included) to another country than Sweden get a handling fee row.",
     "rule": {"name": "export-fee", "flow": "order_to_specter",
              "when": {"all": [{"field": "total", "op": "gt", "value": 5000},
                               {"field": "country", "op": "not_equals", "value": "SE"}]},
              "actions": [{"do": "add_row", "kind": "payment_fee", "name": "Exporthantering",
                           "unit_price_ex_vat": "50", "vat_percent": "25"}]}},
    {"title": "Drop sample rows",
     "description": "Rows of free samples (article numbers starting SAMPLE-) are not sent.",
     "rule": {"name": "no-samples", "flow": "order_to_specter",
              "actions": [{"do": "remove_rows", "kind": "product", "article_no": "SAMPLE-.*"}]}},
    {"title": "Hold back stock of discontinued articles",
     "description": "Stock of articles whose number ends in -UTG is not sent to the shop.",
     "rule": {"name": "no-stock-utg", "flow": "stock_from_specter",
              "when": {"field": "article_no", "op": "matches", "value": "-UTG$"},
              "actions": [{"do": "skip", "reason": "discontinued: the shop keeps its own level"}]}},
    {"title": "Only the first matching rule",
     "description": "A stop ends the flow's rules for the object: later rules do not run.",
     "rule": {"name": "vip-first", "flow": "order_to_specter",
              "when": {"field": "customer.email", "op": "matches", "value": "@vip\\.example$"},
              "actions": [{"do": "set", "field": "stock_site_id", "value": "3"}, {"do": "stop"}]}},
    {"title": "Delivered orders completed in the shop",
     "description": "A delivered order becomes completed in the shop whatever order_status_map says.",
     "rule": {"name": "delivered-completed", "flow": "order_status_from_specter",
              "when": {"field": "delivered", "op": "equals", "value": True},
              "actions": [{"do": "set", "field": "shop_status", "value": "completed"}]}},
]


def rules_of(entry: dict[str, Any]) -> list[Rule]:
    """The rules an entry brings (one, or two for a rewrite in both flows)."""
    return [msgspec.convert(entry[key], Rule, strict=False) for key in ("rule", "also") if key in entry]
