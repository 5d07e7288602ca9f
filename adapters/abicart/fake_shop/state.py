"""The fake Abicart's objects: one webshop's articles, variants, choices, groups, customers,
orders, listeners and tokens, kept as Abicart documents them, and rendered for reading.

Where Abicart's documentation is silent, :class:`Forms` chooses among the plausible forms, so a
test can show the adapter reading each:

- ``price_form``: prices read as money objects ``{incVat, exVat, vat, vatRate, currency}``
  (``"money"``) or per currency as written (``"per_currency"``);
- ``variant_form``: a variant names its options as ``choices`` ``{choiceUid: optionUid}`` or as
  ``choiceOptions`` ``[optionUid]``;
- ``expand_items``: ``Order.get`` expands OrderItems asked for with an object query, or always
  answers their uids;
- ``in_filter``: filters take an ``{"in": [...]}`` condition, or only the documented ones;
- ``callback_body``: what a listener call carries (``object``, ``nested``, ``rpc``, ``form``,
  ``empty``);
- ``event_names``: the event names listeners may be made for (``Order/discarded`` is the only
  documented one);
- ``deactivate_after``: failed calls after which a listener goes inactive (0: never).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
INFERRED_EVENTS = ("Order/created", "Order/changed", "Article/created", "Article/changed", "Article/deleted",
                   "Customer/created", "Customer/changed")
DOCUMENTED_EVENTS = ("Order/discarded",)


@dataclass
class Forms:
    price_form: str = "money"
    variant_form: str = "choices"
    expand_items: bool = True
    in_filter: bool = True
    callback_body: str = "object"
    event_names: tuple[str, ...] = DOCUMENTED_EVENTS + INFERRED_EVENTS
    deactivate_after: int = 0


@dataclass
class Token:
    active: bool = True
    classes: frozenset[str] | None = None  # the classes it may use; None: every one


def stamp(when: dt.datetime) -> str:
    """A time as Abicart's documented examples write it."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass
class FakeState:
    webshop: int
    auth_token: str
    webshop_settings: dict[str, Any] = field(default_factory=lambda: {
        "baseCurrency": "SEK", "activeCurrencies": ["SEK"], "defaultLanguage": "sv", "priceStoredWithVat": True,
        "vatSupport": True, "showPricesIncludingVat": True, "vatCountry": "SE", "edition": "Abicart",
        "type": "standard", "is_demo": True, "children": [], "parent": None, "isShopSystem": False,
        "name": {"sv": "Testbutiken"}})
    forms: Forms = field(default_factory=Forms)
    tokens: dict[str, Token] = field(default_factory=dict)
    articles: dict[int, dict[str, Any]] = field(default_factory=dict)
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)
    choices: dict[int, dict[str, Any]] = field(default_factory=dict)
    options: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    listeners: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # the methods called, in order
    # The calls that may change something (every method but .get, .list and .count), in order:
    # what tests count as writes, since every JSON-RPC call is a POST.
    writes: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every call as sent, with its error code
    fired: list[tuple[str, int, int]] = field(default_factory=list)  # (event, uid, HTTP status; 0: no answer)
    fault_status: int = 0
    fault_count: int = 0
    rpc_fault: tuple[int, int] = (0, 0)  # (JSON-RPC error code, how many calls)
    # "lost" | "repeated" -> how many of the next listener calls the network loses or repeats
    call_faults: dict[str, int] = field(default_factory=dict)
    frozen_at: str | None = None  # the shop's clock stands still at this time (``/_control/clock``)
    uids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))
    order_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def __post_init__(self) -> None:
        self.tokens.setdefault(self.auth_token, Token())

    def call_fault(self, kind: str) -> bool:
        """Whether this listener call meets the network fault ``kind`` (and use one up)."""
        left = self.call_faults.get(kind, 0)
        if left > 0:
            self.call_faults[kind] = left - 1
        return left > 0

    # --- Time and settings ------------------------------------------------------------------------

    def now(self) -> str:
        return self.frozen_at or stamp(dt.datetime.now(dt.UTC))

    def touch(self, obj: dict[str, Any]) -> None:
        obj["changed"] = self.now()

    @property
    def currency(self) -> str:
        return str(self.webshop_settings["baseCurrency"])

    @property
    def with_vat(self) -> bool:
        return bool(self.webshop_settings["priceStoredWithVat"])

    def webshop_object(self) -> dict[str, Any]:
        return {"uid": self.webshop, **self.webshop_settings}

    # --- Money --------------------------------------------------------------------------------------

    def money(self, stored: Any, rate: Any, currency: str | None = None) -> dict[str, Any]:
        """A stored amount (inc or ex VAT, as the shop keeps prices) as a money object."""
        amount, vat_rate = Decimal(str(stored)), Decimal(str(rate))
        if self.with_vat:
            ex = (amount / (1 + vat_rate)).quantize(CENT, ROUND_HALF_UP)
            inc = amount
        else:
            ex = amount
            inc = ex + (ex * vat_rate).quantize(CENT, ROUND_HALF_UP)
        return {"incVat": inc, "exVat": ex, "vat": inc - ex, "vatRate": vat_rate, "currency": currency or self.currency}

    def cost(self, ex_vat: Decimal, rate: Any) -> dict[str, Any]:
        """An order's cost from its amount ex VAT."""
        vat_rate = Decimal(str(rate))
        vat = (ex_vat * vat_rate).quantize(CENT, ROUND_HALF_UP)
        return {"incVat": ex_vat + vat, "exVat": ex_vat, "vat": vat, "vatRate": vat_rate, "currency": self.currency}

    def stored_ex_vat(self, stored: Any, rate: Any) -> Decimal:
        return Decimal(self.money(stored, rate)["exVat"])

    def _shown_price(self, amounts: Any, rate: Any) -> Any:
        """Amounts by currency as a reader gets them, in the chosen form."""
        if amounts is None:
            return None
        if self.forms.price_form == "per_currency":
            return dict(amounts)
        return self.money(amounts[self.currency], rate) if self.currency in amounts else None

    def render_article(self, article: dict[str, Any]) -> dict[str, Any]:
        """An article as ``Article.get`` answers it: its Price, its tiers (``pricing``), its Stock."""
        shown = {k: v for k, v in article.items() if not k.startswith("_")}
        rate = article.get("vatRate") or Decimal("0.25")
        price = article.get("price") or {}
        regular, offer = price.get("regular"), price.get("specialOffer")
        shown["price"] = {"regular": self._shown_price(regular, rate), "specialOffer": self._shown_price(offer, rate)}
        tiers = [{"qtyFloor": 1, "regular": regular, "specialOffer": offer}, *article.get("_tiers", [])]
        shown["pricing"] = [{"qtyFloor": t["qtyFloor"], "regular": self._shown_price(t.get("regular"), rate),
                             "specialOffer": self._shown_price(t.get("specialOffer"), rate)}
                            for t in tiers if t.get("regular") is not None]
        return shown

    def render_variant(self, variant: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in variant.items() if not k.startswith("_")}
        chosen = variant["_options"]
        if self.forms.variant_form == "choiceOptions":
            shown["choiceOptions"] = list(chosen.values())
        else:
            shown["choices"] = {str(k): v for k, v in chosen.items()}
        return shown

    # --- Objects an admin makes ---------------------------------------------------------------------

    def add_article(self, patch: dict[str, Any], tiers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        uid = next(self.uids)
        article: dict[str, Any] = {
            "uid": uid, "created": self.now(), "changed": self.now(), "articleNumber": "", "name": {},
            "description": {}, "introductionText": {}, "price": {"regular": {self.currency: 0}, "specialOffer": None},
            "vatRate": Decimal("0.25"), "weight": None, "stock": {"stock": None}, "ean": "", "articlegroup": None,
            "showInArticlegroups": [], "choices": [], "choiceOptions": {}, "choiceOptionPrices": {},
            "type": "article", "draft": False, "hidden": False, "isBuyable": True, "_tiers": tiers or [],
        }
        self.apply_article_patch(article, patch)
        self.articles[uid] = article
        return article

    def apply_article_patch(self, article: dict[str, Any], patch: dict[str, Any]) -> None:
        for key, value in patch.items():
            if key == "price":
                article["price"] = {**article.get("price", {}), **value}
            elif key == "stock":
                article["stock"] = {**(article.get("stock") or {}), **value}
            elif key == "vatRate":
                article["vatRate"] = Decimal(str(value))
            else:
                article[key] = value
        self.touch(article)

    def add_choice(self, article: dict[str, Any], name: str, options: dict[str, Any]) -> dict[str, int]:
        """A choice (e.g. "Storlek") with its options and their extra prices (stored amounts per
        currency, or None); answers option name -> uid."""
        choice_uid = next(self.uids)
        self.choices[choice_uid] = {"uid": choice_uid, "name": {"sv": name}}
        made = {}
        for option_name, extra in options.items():
            option_uid = next(self.uids)
            self.options[option_uid] = {"uid": option_uid, "name": {"sv": option_name}}
            made[option_name] = option_uid
            if extra is not None:
                article["choiceOptionPrices"][str(option_uid)] = {self.currency: Decimal(str(extra))}
        article["choices"] = [*article["choices"], choice_uid]
        article["choiceOptions"][str(choice_uid)] = list(made.values())
        return made

    def add_variant(self, article: dict[str, Any], number: str, stock: int | None,
                    options: dict[int, int]) -> dict[str, Any]:
        uid = next(self.uids)
        self.variants[uid] = {"uid": uid, "article": article["uid"], "articleNumber": number, "stock": stock,
                              "image": "", "_options": options}
        return self.variants[uid]

    def variants_of(self, article_uid: int) -> list[int]:
        return [uid for uid, v in self.variants.items() if v["article"] == article_uid]

    def unit_price(self, article: dict[str, Any], variant: dict[str, Any] | None) -> Decimal:
        """What one costs ex VAT: the special offer, else the regular price, plus the variant's
        options' prices."""
        price = article["price"]
        stored = Decimal(str((price.get("specialOffer") or price["regular"])[self.currency]))
        for option in (variant or {}).get("_options", {}).values():
            extra = article["choiceOptionPrices"].get(str(option), {}).get(self.currency)
            stored += Decimal(str(extra or 0))
        return self.stored_ex_vat(stored, article["vatRate"])

    def add_customer(self, given: dict[str, Any]) -> dict[str, Any]:
        uid = next(self.uids)
        self.customers[uid] = {"uid": uid, "created": self.now(), "changed": self.now(), "approved": True,
                               "language": "sv", "groups": [], "address": given.get("address") or {},
                               "deliveryAddress": given.get("deliveryAddress") or {"copyAddress": True},
                               "info": given.get("info") or {}, "custom": given.get("custom") or {}}
        return self.customers[uid]

    def checkout(self, given: dict[str, Any]) -> dict[str, Any]:
        """A shopper places an order (or leaves a cart, ``draft``): items priced from the
        articles, stock reduced, costs as money objects."""
        uid = next(self.uids)
        item_uids: list[int] = []
        cart = Decimal(0)
        rows_vat = Decimal(0)
        for line in given.get("items", []):
            article = self.articles[int(line["article"])]
            variant = self.variants.get(int(line["variant"])) if line.get("variant") else None
            qty = int(line.get("quantity", 1))
            unit = self.unit_price(article, variant)
            discount = Decimal(str(line.get("discount") or 0))
            total = unit * qty - discount
            rate = article["vatRate"]
            choices: dict[str, Any] = {str(k): v for k, v in (variant or {}).get("_options", {}).items()}
            choices["quantity"] = qty  # where the documented example has it
            item = {"uid": next(self.uids), "order": uid, "article": article["uid"],
                    "articleNumber": (variant or article)["articleNumber"],
                    "articleName": article["name"].get("sv", ""), "choices": choices,
                    "costs": {"unit": self.cost(unit, rate), "total": self.cost(total, rate)},
                    "discountInfo": None, "revenueShare": None, "download": None}
            if discount:
                taken = self.cost(discount, rate)
                item["discountInfo"] = {"discount": next(self.uids), "exVat": taken["exVat"],
                                        "incVat": taken["incVat"],
                                        "name": line.get("discount_name", "Rabatt"),
                                        "rate": (discount / (unit * qty)).quantize(Decimal("0.0001"))}
            self.items[item["uid"]] = item
            item_uids.append(item["uid"])
            cart += total
            rows_vat += self.cost(total, rate)["vat"]
            if not given.get("draft"):
                if variant is not None and variant["stock"] is not None:
                    variant["stock"] -= qty  # Abicart reduces stock when the order is placed
                elif variant is None and article["stock"].get("stock") is not None:
                    article["stock"]["stock"] -= qty
                    self.touch(article)
        shipment = self.cost(Decimal(str(given.get("shipment", "49.00"))), "0.25")
        payment = self.cost(Decimal(str(given.get("paymentFee", "0"))), "0.25")
        off = Decimal(str(given.get("orderDiscount") or 0))  # an order-level discount (not itemised)
        total_ex = cart + shipment["exVat"] + payment["exVat"] - off
        total_vat = rows_vat + shipment["vat"] + payment["vat"] - (off * Decimal("0.25")).quantize(CENT)
        order = {
            "uid": uid, "orderNumber": next(self.order_numbers),
            "ordered": None if given.get("draft") else self.now(), "changed": self.now(),
            "currency": given.get("currency", self.currency), "exchangeRate": 1, "language": "sv",
            "customer": {**given.get("customer", {}), **({"custom": given["custom"]} if given.get("custom") else {})},
            "items": item_uids,
            "costs": {"cart": self.cost(cart, "0.25"), "payment": payment, "shipment": shipment,
                      "total": {"incVat": total_ex + total_vat, "exVat": total_ex, "vat": total_vat,
                                "currency": self.currency}},
            "payments": given.get("payments", [{"method": "klarna_checkout", "reference": "klarna-ref-1"}]),
            "delivery": given.get("delivery", {"method": 7}), "paymentStatus": "paid", "deliveryStatus": "unsent",
            "discarded": False, "externalOrderNumber": None, "note": "", "tags": [], "hasVat": True,
            "affiliate": None,
        }
        self.orders[uid] = order
        return order

    def render_order(self, order: dict[str, Any], items_query: Any) -> dict[str, Any]:
        shown = dict(order)
        if isinstance(items_query, dict) and self.forms.expand_items:
            shown["items"] = [project(self.items[i], items_query) for i in order["items"]]
        return shown

    # --- Listeners ----------------------------------------------------------------------------------

    def add_listener(self, token: str, event_name: str, url: str) -> dict[str, Any]:
        uid = next(self.uids)
        self.listeners[uid] = {"uid": uid, "created": self.now(), "changed": self.now(), "eventName": event_name,
                               "url": url, "authToken": token, "status": {"active": True, "inactiveSince": None},
                               "_log": [], "_failures": 0}
        return self.listeners[uid]

    def deactivate(self, listener: dict[str, Any]) -> None:
        listener["status"] = {"active": False, "inactiveSince": self.now()}


def project(obj: dict[str, Any] | None, query: Any) -> dict[str, Any] | None:
    """The fields a (checked) query asks for."""
    if obj is None:
        return None
    visible = {k: v for k, v in obj.items() if not k.startswith("_")}
    if query is True or query == {}:
        return visible
    if isinstance(query, str):
        query = [query]
    names = list(query) if isinstance(query, list | dict) else []
    return {k: visible.get(k) for k in names}
