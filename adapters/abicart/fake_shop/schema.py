"""What the fake Abicart accepts: the documented property tables, and checks of queries,
selections and patches against them.

Written from Abicart's API documentation (developer.abicart.se and the older api.abicart.se:
api-classes Article, ArticleVariant, Articlegroup, Order, OrderItem, Customer, Webshop,
EventListener; general pages Query language, List selection, Errors), not from the adapter.
A property is *read-only* unless the documentation shows it written or it is the kind of field
an admin edits; where the write form is not documented (the Price and Stock objects, Order.set's
fields) the form public client code uses is taken, and marked "inferred" below.

A refusal is JSON-RPC error -32602 whose ``data`` lists ``{message, pointer}``, ``pointer``
being the JSON Pointer of the refused field, as the Errors page documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Problem = tuple[str, str]  # (pointer, message)
Check = Callable[[Any, str], list[Problem]]

LANG = re.compile(r"^[a-z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _type(name: str, ok: Callable[[Any], bool]) -> Check:
    def check(value: Any, at: str) -> list[Problem]:
        return [] if ok(value) else [(at, f"must be {name}")]
    return check


STRING = _type("a string", lambda v: isinstance(v, str))
STRING_OR_NULL = _type("a string or null", lambda v: v is None or isinstance(v, str))
BOOL = _type("a boolean", lambda v: isinstance(v, bool))
UID_OR_NULL = _type("a uid or null", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)))
NUMBER = _type("a number", _is_number)
WHOLE = _type("a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
UIDS = _type("an array of uids", lambda v: isinstance(v, list) and all(isinstance(i, int) for i in v))
STRINGS = _type("an array of strings", lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v))
ANY: Check = lambda value, at: []  # noqa: E731 - a check that takes anything


def lang(value: Any, at: str) -> list[Problem]:
    """A text by language: ``{"sv": "Tröja", "en": "Sweater"}`` (a plain string is refused)."""
    if not isinstance(value, dict):
        return [(at, "must be an object of texts by language, e.g. {\"sv\": \"...\"}")]
    return [(f"{at}/{k}", "must be a two-letter language code with a string")
            for k, v in value.items() if not (LANG.match(str(k)) and isinstance(v, str))]


def vat_rate(value: Any, at: str) -> list[Problem]:
    if not _is_number(value) or not 0 <= Decimal(str(value)) < 1:
        return [(at, "must be a VAT rate as a fraction, e.g. 0.25")]
    return []


def _amounts(value: Any, at: str) -> list[Problem]:
    """Amounts by currency: ``{"SEK": 299.0}``."""
    if not isinstance(value, dict) or not value:
        return [(at, "must be amounts by currency, e.g. {\"SEK\": 299}")]
    return [(f"{at}/{k}", "must be a currency code with a number")
            for k, v in value.items() if not (CURRENCY.match(str(k)) and _is_number(v))]


def price(value: Any, at: str) -> list[Problem]:
    """The Price object as written (public code): per price kind, per currency (inferred)."""
    if not isinstance(value, dict):
        return [(at, "must be a Price object, e.g. {\"regular\": {\"SEK\": 299}}")]
    problems = [(f"{at}/{k}", "is not a property of Price") for k in value if k not in ("regular", "specialOffer")]
    if "regular" in value:
        problems += _amounts(value["regular"], f"{at}/regular")
    if value.get("specialOffer") is not None:
        problems += _amounts(value["specialOffer"], f"{at}/specialOffer")
    return problems


def stock_object(value: Any, at: str) -> list[Problem]:
    """An Article's Stock object: its quantity is ``stock`` (public code reads it there; the
    other fields are not documented, so none is taken)."""
    if not isinstance(value, dict):
        return [(at, "must be a Stock object, e.g. {\"stock\": 5}")]
    problems = [(f"{at}/{k}", "is not a property of Stock") for k in value if k != "stock"]
    if "stock" in value and not (value["stock"] is None or WHOLE(value["stock"], "") == []):
        problems.append((f"{at}/stock", "must be a whole number"))
    return problems


def _object_of(fields: dict[str, Check]) -> Check:
    def check(value: Any, at: str) -> list[Problem]:
        if not isinstance(value, dict):
            return [(at, "must be an object")]
        problems = []
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                problems.append((f"{at}/{key}", "is not a documented property"))
            else:
                problems += field(item, f"{at}/{key}")
        return problems
    return check


ADDRESS_FIELDS = {k: STRING_OR_NULL for k in ("company", "firstName", "lastName", "address", "address2", "postcode",
                                               "town", "country", "state", "phoneDay", "phoneNight", "phoneMobile")}
DELIVERY_FIELDS = {"copyAddress": BOOL, **{k: STRING_OR_NULL for k in (
    "company", "name", "address", "address2", "postcode", "town", "country", "state")}}
ADDRESS = _object_of(ADDRESS_FIELDS)
DELIVERY_ADDRESS = _object_of(DELIVERY_FIELDS)
OBJECT = _type("an object", lambda v: isinstance(v, dict))


@dataclass(frozen=True)
class Prop:
    """A documented property; ``check`` is None for a read-only one."""

    check: Check | None = None
    expandable: bool = False  # holds another object's uid(s), so a query may expand it


def readonly(expandable: bool = False) -> Prop:
    return Prop(None, expandable)


RO = readonly()

CLASSES: dict[str, dict[str, Prop]] = {
    "Article": {
        "uid": RO, "created": RO, "changed": RO, "articleNumber": Prop(STRING),
        **{k: Prop(lang) for k in ("name", "description", "introductionText", "url", "baseName", "metaDescription",
                                   "metaKeywords", "deliveryInfo", "pageTitle")},
        "freeFreight": Prop(BOOL), "isBulky": Prop(BOOL),
        "price": Prop(price), "pricing": RO,  # how tiers are written is not documented
        "stock": Prop(stock_object),
        "draft": Prop(BOOL), "hidden": Prop(BOOL), "isBuyable": Prop(BOOL), "presentationOnly": Prop(BOOL),
        "news": Prop(BOOL),
        "articlegroup": Prop(UID_OR_NULL, expandable=True), "showInArticlegroups": Prop(UIDS, expandable=True),
        "choices": Prop(UIDS, expandable=True), "choiceOptions": Prop(OBJECT), "choiceOptionPrices": Prop(OBJECT),
        "ean": Prop(STRING), "images": Prop(STRINGS), "attachments": Prop(ANY), "articleTemplate": Prop(UID_OR_NULL),
        "attributes": Prop(OBJECT), "orderedWithArticles": Prop(UIDS), "relationLists": Prop(ANY),
        # The older property table (api.abicart.se), still used by public clients.
        "sku": Prop(STRING), "type": Prop(STRING), "unit": Prop(ANY), "vatIsIncluded": Prop(BOOL),
        "vatRate": Prop(vat_rate), "weight": Prop(NUMBER),
    },
    "ArticleVariant": {
        "uid": RO, "stock": Prop(WHOLE), "articleNumber": Prop(STRING), "article": readonly(expandable=True),
        "image": Prop(STRING),
    },
    "ArticleChoiceOption": {"uid": RO, "name": Prop(lang)},  # class seen in public code; fields inferred
    "Articlegroup": {
        "uid": RO, "parent": Prop(UID_OR_NULL, expandable=True), "children": readonly(expandable=True),
        "hidden": Prop(BOOL), "image": Prop(STRING_OR_NULL), "pageItems": Prop(ANY),
        **{k: Prop(lang) for k in ("name", "description", "metaDescription", "metaKeywords", "pageTitle", "url",
                                   "baseName")},
    },
    "Order": {
        "uid": RO, "orderNumber": RO, "ordered": RO, "changed": RO, "customer": RO, "currency": RO,
        "exchangeRate": RO, "costs": RO, "items": readonly(expandable=True), "language": RO, "hasVat": RO,
        "affiliate": RO, "payments": RO, "delivery": RO, "paymentStatus": RO,
        # Written by an integration (inferred: the properties are documented, their writability not).
        "note": Prop(STRING_OR_NULL), "tags": Prop(STRINGS), "externalOrderNumber": Prop(STRING_OR_NULL),
        "discarded": Prop(BOOL),
        "deliveryStatus": Prop(_type('"sent" or "unsent"', lambda v: v in ("sent", "unsent"))),
    },
    "OrderItem": {k: RO for k in ("uid", "order", "article", "articleNumber", "articleName", "choices", "costs",
                                  "discountInfo", "revenueShare", "download")},
    "Customer": {
        "uid": RO, "changed": RO, "created": RO, "approved": Prop(BOOL), "language": Prop(STRING),
        "groups": Prop(UIDS), "address": Prop(ADDRESS), "deliveryAddress": Prop(DELIVERY_ADDRESS),
        "info": Prop(OBJECT), "custom": Prop(OBJECT),
    },
    "Webshop": {k: RO for k in (
        "uid", "baseCurrency", "activeCurrencies", "defaultLanguage", "priceStoredWithVat", "vatSupport",
        "showPricesIncludingVat", "vatCountry", "edition", "type", "is_demo", "children", "parent", "isShopSystem",
        "name", "adminLanguage", "companyNumber", "contactEmail", "created", "defaultDeliveryCountry")},
    "EventListener": {
        "uid": RO, "created": RO, "changed": RO, "eventName": Prop(STRING),
        "url": Prop(_type("an http(s) URL", lambda v: isinstance(v, str) and v.startswith(("http://", "https://")))),
        "authToken": Prop(STRING), "status": RO,
    },
}

SELECTION_KEYS = frozenset({"filters", "limit", "offset", "sort", "descending"})
CONDITIONS = frozenset({"min", "max"})


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def check_query(cls: str, query: Any) -> list[Problem]:
    """``true``, ``{}``, a field name, a list of field names, or an object of field to ``true``,
    a language, or a sub-query (the documented expansion of uid fields)."""
    props = CLASSES[cls]
    if query is True or query == {}:
        return []
    names: list[tuple[str, Any]]
    if isinstance(query, str):
        names = [(query, True)]
    elif isinstance(query, list) and all(isinstance(q, str) for q in query):
        names = [(q, True) for q in query]
    elif isinstance(query, dict):
        names = list(query.items())
    else:
        return [("", "a query is true, a field name, a list of field names or an object")]
    problems = []
    for name, sub in names:
        prop = props.get(name)
        if prop is None:
            problems.append((f"/{escape(name)}", f"is not a property of {cls}"))
        elif not (sub is True or isinstance(sub, str) or isinstance(sub, dict)):
            problems.append((f"/{escape(name)}", "must be true, a language or a query"))
    return problems


def check_filters(cls: str, filters: Any, in_condition: bool, at: str = "/filters") -> list[Problem]:
    """Filters keyed by JSON Pointer to a property; a bare value is equality, an object a set of
    conditions (``min``/``max`` documented; ``in`` where the shop takes it)."""
    if not isinstance(filters, dict):
        return [(at, "must be an object of JSON Pointer to condition")]
    props = CLASSES[cls]
    allowed = CONDITIONS | ({"in"} if in_condition else set())
    problems = []
    for pointer, condition in filters.items():
        where = f"{at}/{escape(pointer)}"
        field = pointer[1:].split("/", 1)[0] if pointer.startswith("/") else ""
        if field not in props:
            problems.append((where, f"must be a JSON Pointer to a property of {cls}, e.g. \"/uid\""))
        elif isinstance(condition, dict):
            problems += [(f"{where}/{escape(k)}", "is not a condition this shop takes")
                         for k in condition if k not in allowed]
            if "in" in condition and not isinstance(condition["in"], list):
                problems.append((f"{where}/in", "must be an array"))
        elif isinstance(condition, list):
            problems.append((where, "an array is not a condition"))
    return problems


def check_selection(cls: str, selection: Any, in_condition: bool) -> list[Problem]:
    if not isinstance(selection, dict):
        return [("", "a selection is an object of filters, limit, offset, sort, descending")]
    problems = [(f"/{escape(k)}", "is not part of a selection") for k in selection if k not in SELECTION_KEYS]
    if "filters" in selection:
        problems += check_filters(cls, selection["filters"], in_condition)
    for key in ("limit", "offset"):
        if key in selection and not (WHOLE(selection[key], "") == [] and selection[key] >= 0):
            problems.append((f"/{key}", "must be a whole number, 0 or more"))
    if "sort" in selection and selection["sort"] not in CLASSES[cls]:
        problems.append(("/sort", f"must be a property of {cls}"))
    if "descending" in selection and not isinstance(selection["descending"], bool):
        problems.append(("/descending", "must be a boolean"))
    return problems


def check_patch(cls: str, patch: Any) -> list[Problem]:
    if not isinstance(patch, dict):
        return [("", "a patch is an object of properties")]
    props = CLASSES[cls]
    problems = []
    for key, value in patch.items():
        prop = props.get(key)
        if prop is None:
            problems.append((f"/{escape(key)}", f"is not a property of {cls}"))
        elif prop.check is None:
            problems.append((f"/{escape(key)}", "is read-only"))
        else:
            problems += prop.check(value, f"/{escape(key)}")
    return problems
