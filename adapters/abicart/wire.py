"""What the adapter asks Abicart for: the queries (which fields) and selections (which objects).

Every field named here is in a documented property table (developer.abicart.se, api-classes);
``weight``, ``vatRate`` and ``type`` are from the older table (api.abicart.se) that public
clients still use. Where an object's layout is not documented the query asks for the whole
object (``true``) and the decoder reads it tolerantly: an ArticleVariant (which options it is
made of is not documented), an order's payments and delivery, a customer's ``info`` and
``custom``.

Selections follow "List selection": ``{"filters", "limit", "offset", "sort", "descending"}``,
filters keyed by JSON Pointer. ``Class.count`` takes the bare filter object.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

ARTICLE_QUERY = ["uid", "changed", "articleNumber", "name", "description", "introductionText", "price", "pricing",
                 "vatRate", "weight", "stock", "ean", "articlegroup", "choices", "choiceOptions",
                 "choiceOptionPrices", "type", "draft", "hidden"]
VARIANT_QUERY = True  # uid, article, articleNumber, stock, image; and whatever names its options
GROUP_QUERY = ["uid", "name", "parent", "hidden"]
OPTION_QUERY = ["uid", "name"]
ITEM_QUERY = {"uid": True, "order": True, "article": True, "articleNumber": True, "articleName": True,
              "choices": True, "costs": True, "discountInfo": True}
# An object query: OrderItems expanded in the same call, where the shop expands them (inferred
# from the documented expansion of uid fields); otherwise the items come as uids.
ORDER_QUERY: dict[str, Any] = {
    "uid": True, "orderNumber": True, "ordered": True, "changed": True, "currency": True, "language": True,
    "customer": True, "costs": True, "items": ITEM_QUERY, "payments": True, "delivery": True,
    "paymentStatus": True, "deliveryStatus": True, "discarded": True, "externalOrderNumber": True,
}
ORDER_STATUS_QUERY = ["uid", "deliveryStatus", "discarded", "note"]
CUSTOMER_QUERY = ["uid", "changed", "language", "address", "deliveryAddress", "info", "custom"]
# What a poll reads of each object changed since its last look: what the gateway acts on, so a
# state it has not seen is told from one it has even where ``changed`` is the same second.
CHANGED_ARTICLE_QUERY = ARTICLE_QUERY
CHANGED_ORDER_QUERY = ["uid", "changed", "ordered", "discarded", "deliveryStatus", "paymentStatus",
                       "externalOrderNumber"]
CHANGED_CUSTOMER_QUERY = CUSTOMER_QUERY
WEBSHOP_QUERY = ["uid", "baseCurrency", "activeCurrencies", "defaultLanguage", "priceStoredWithVat"]
LISTENER_QUERY = ["uid", "eventName", "url", "authToken", "status"]


def abicart_time(when: dt.datetime) -> str:
    """A time as the documented filter examples write it: ``2013-01-14T15:04:34Z``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page(limit: int, offset: int, filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """One page of a list, sorted by uid so that pages stay put while the shop changes."""
    selection: dict[str, Any] = {"sort": "uid", "limit": limit, "offset": offset}
    if filters:
        selection["filters"] = filters
    return selection


def changed_since(since: dt.datetime) -> dict[str, Any]:
    return {"/changed": {"min": abicart_time(since)}}


def one_of(values: list[Any]) -> dict[str, Any]:
    """An "in" condition (inferred: the condition is documented for PriceListItem filters, not
    for every property): the client falls back to one equality filter per value."""
    return {"in": values}
