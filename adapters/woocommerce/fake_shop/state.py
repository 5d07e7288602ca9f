"""What the fake shop holds: its resources as WooCommerce's JSON, its webhooks, and what tests
inspect (deliveries, batch sizes, injected faults)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .wire import STAMP, now

VAT = Decimal(25)  # the captured shop's one rate, "Moms" 25 %, also on shipping
BATCH_LIMIT = 100
# The statuses the REST API takes, in the order its 400 answer lists them (captured); a plugin may
# register more (``FakeState.plugin_statuses``). "trash" is reached by DELETE alone.
ORDER_STATUSES = ("auto-draft", "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
                  "checkout-draft")
STOCK_REDUCING = ("processing", "on-hold", "completed")
# WooCommerce puts an order's items back (wc_maybe_increase_stock_levels) when it becomes
# cancelled or pending, never on refunded or failed; the captures show the cancel.
STOCK_RESTORING = ("cancelled", "pending")
Events = list[tuple[str, int]]  # (topic, resource id): the webhooks a change fires, in order


@dataclass
class Webhook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    created: str  # the shop's clock when it was made
    status: str = "active"
    failures: int = 0
    pending_delivery: bool = True
    modified: str | None = None


@dataclass
class FakeState:
    consumer_key: str
    consumer_secret: str
    webhook_secret: str
    site: str = ""  # with a trailing slash, set when served
    next_id: int = 10
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    coupons: dict[str, Decimal] = field(default_factory=lambda: {"rabatt10": Decimal(10)})
    nonces: set[str] = field(default_factory=set)
    faults: dict[str, int] = field(default_factory=dict)  # "rate_limit" | "html" | "error500" -> count
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # every delivery and ping sent
    batch_sizes: list[int] = field(default_factory=list)  # items per accepted batch request
    sku_index: dict[str, int] = field(default_factory=dict)  # sku -> product id, as a database index
    latency_ms: int = 0
    clock_offset: float = 0.0  # seconds the shop's clock runs ahead (``/_control/clock``)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every REST write
    order_notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # order id -> notes, oldest first
    plugin_statuses: list[str] = field(default_factory=list)  # order statuses plugins registered
    mails: list[dict[str, Any]] = field(default_factory=list)  # what the shop mailed its customers
    # WooCommerce's three tax classes as it installs them (name, slug); only the captured shop's one
    # rate is set up, "Moms" 25 % in the standard class: the reduced and zero rate classes are empty.
    tax_classes: list[dict[str, str]] = field(default_factory=lambda: [
        {"slug": "standard", "name": "Standard rate"}, {"slug": "reduced-rate", "name": "Reduced rate"},
        {"slug": "zero-rate", "name": "Zero rate"}])
    tax_rates: dict[int, dict[str, Any]] = field(default_factory=lambda: {1: {
        "id": 1, "country": "", "state": "", "postcode": "", "city": "", "rate": "25.0000", "name": "Moms",
        "priority": 1, "compound": False, "shipping": True, "order": 0, "class": "standard", "postcodes": [],
        "cities": []}})

    # The products a plain product list shows, by id (see catalogue()); None: to be made again.
    listed: list[dict[str, Any]] | None = field(default=None, repr=False)

    def catalogue(self) -> list[dict[str, Any]]:
        """The products ``GET products`` lists unfiltered (neither trashed nor variations), in id
        order. Kept until one is added, deleted or trashed (:meth:`catalogue_changed`), as the
        shop's database keeps its index: a walk through 100,000 products does not scan and sort
        them all again for every page of 100."""
        if self.listed is None:
            self.listed = sorted((p for p in self.products.values() if p["status"] != "trash"
                                  and p["type"] != "variation"), key=lambda p: p["id"])
        return self.listed

    def catalogue_changed(self) -> None:
        self.listed = None

    def order_statuses(self) -> list[str]:
        """The statuses an order may be given: WooCommerce's own and the plugins' (before the
        checkout draft, as the plugins' filter adds them)."""
        return [*ORDER_STATUSES[:-1], *self.plugin_statuses, ORDER_STATUSES[-1]]

    def now(self) -> str:
        return now(self.clock_offset)

    def stamp(self, previous: str | None) -> str:
        """A new ``date_modified``: the shop's clock, but always after ``previous``. The real shop
        moves it on every save, meta included; two saves within one second here still differ, as
        two real requests (each a second or so apart) do."""
        current = self.now()
        if previous is None or current > previous:  # the usual case, without parsing (ISO strings sort as times)
            return current
        return (dt.datetime.strptime(previous, STAMP) + dt.timedelta(seconds=1)).strftime(STAMP)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def by_sku(self, sku: str) -> dict[str, Any] | None:
        # The index is kept by apply_product, the only writer of "sku"; an entry whose product
        # is gone or renumbered since is simply not found.
        p = self.products.get(self.sku_index.get(sku, -1)) if sku else None
        return p if p is not None and p["sku"] == sku else None

