"""What an end-to-end test needs of a shop, in platform-neutral terms.

A :class:`ShopDriver` runs one shop (a fake, or the real PHP scripts) and plays its admin and
its shoppers: it makes products, customers and orders as the platform makes them, so the
platform's own events reach the gateway (webhooks, event listeners, or the PHP shop's
``specter_event`` calls), and it reads back what the shop ends up holding.

Products and variants are named by article number (SKU) throughout; ids are the shop's own
(as strings). Capabilities are class attributes, so a test module can build its parameter list
from them (:func:`tests.shops.platforms`) instead of skipping.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

# Ways a shop announces an order oddly, which a driver may be able to reproduce.
CREATED_TWICE = "created_twice"  # the "created" event arrives twice
BEFORE_ITEMS = "before_items"  # the order is announced before its rows exist
DRAFT = "draft"  # a checkout that was never completed (and must not be exported)


@dataclass(frozen=True)
class Buyer:
    """A customer as a shopper or an admin types it in."""

    email: str = "asa@example.se"
    first_name: str = "Åsa"
    last_name: str = "Öberg"
    company: str = ""
    phone: str = "0701234567"
    street: str = "Storgatan 1"
    zip_code: str = "11122"
    city: str = "Stockholm"
    country: str = "SE"


SHOPPER = Buyer()  # who places orders unless a test says otherwise


@dataclass(frozen=True)
class ShopProduct:
    """A product or variant as the shop holds it. ``price`` is ex VAT; ``vat`` a percent."""

    id: str
    sku: str
    name: str
    price: Decimal
    stock: int | None
    vat: Decimal | None = None
    weight_kg: Decimal | None = None
    description: str = ""
    categories: list[str] = field(default_factory=list)
    published: bool = True  # False: visitors do not see it (a draft)


@dataclass(frozen=True)
class ShopOrder:
    """An order as the shop shows it. ``status`` is one of processing, completed, cancelled,
    draft (the platform's own words mapped to these)."""

    id: str
    number: str
    status: str
    specter_order_no: str
    tracking: str  # the tracking numbers as the shop shows them, "" for none


@dataclass(frozen=True)
class PlacedOrder:
    id: str
    number: str  # what the shopper sees, and Specter's externalOrderNo (after any prefix)


class ShopDriver(ABC):
    """One running shop of a platform. Lifecycle: :meth:`start`, then the tenant is made with
    :meth:`connection`, then :meth:`attach` (and again whenever the gateway moves), then
    :meth:`stop`."""

    platform: ClassVar[str]  # the tenant's ``platform``
    tenant_prefix: ClassVar[str]  # tenant ids are prefix1, prefix2, …
    payment_methods: ClassVar[dict[str, str]]  # neutral name ("klarna") -> the platform's method id
    variants: ClassVar[bool] = True  # products can have variants with their own article numbers
    duplicate_skus: ClassVar[bool] = False  # two products may share an article number
    misbehaviours: ClassVar[frozenset[str]] = frozenset()  # of CREATED_TWICE, BEFORE_ITEMS, DRAFT
    counts_writes: ClassVar[bool] = False  # the shop logs the requests that change it (see writes())

    fake: Any = None  # the running fake, for platform-specific tests (None for a real shop)

    @abstractmethod
    async def start(self, tmp_path: Path, http: aiohttp.ClientSession) -> None: ...

    @abstractmethod
    def connection(self) -> dict[str, Any]:
        """The tenant's ``shop`` settings for this shop."""

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:  # noqa: B027 - optional
        """Learn where the gateway is and which tenant this shop is (before it is connected);
        a shop that never calls the gateway by itself needs nothing."""

    @abstractmethod
    async def stop(self) -> None: ...

    # --- The admin ----------------------------------------------------------------------------

    @abstractmethod
    async def create_product(self, sku: str, price: str = "100.00", stock: int = 10, name: str | None = None,
                             variants: list[str] | None = None) -> str:
        """A product named ``name`` (default "Produkt SKU"), weighing 0.5 kg at 25 % VAT; with
        ``variants`` (their article numbers), a product sold as those variants, each with this
        price and stock. Answers the product's id."""

    @abstractmethod
    async def update_product(self, product_id: str, *, price: str | None = None, name: str | None = None,
                             stock: int | None = None, weight_kg: str | None = None) -> None:
        """Change a product, or a variant (by its own id), as the shop's admin does."""

    @abstractmethod
    async def delete_product(self, product_id: str) -> None: ...

    @abstractmethod
    async def create_customer(self, buyer: Buyer) -> str: ...

    @abstractmethod
    async def update_customer(self, customer_id: str, *, phone: str) -> None: ...

    @abstractmethod
    async def delete_order(self, order_id: str) -> None: ...

    async def cancel_order(self, order_id: str) -> None:
        """The shop's admin cancels a placed order (the shop may put its items back)."""
        raise NotImplementedError(f"the {self.platform} driver cannot cancel an order")

    async def disturb_notifications(self, fault: str, count: int) -> None:
        """The next ``count`` notifications the shop sends the gateway (webhook deliveries, event
        listener calls) are ``"lost"`` on the way or ``"repeated"``; a count of 0 ends it."""
        raise NotImplementedError(f"the {self.platform} driver cannot disturb the shop's notifications")

    @abstractmethod
    async def break_shop(self) -> None:
        """Every call the gateway makes to the shop fails (5xx, or nobody answers) until
        :meth:`mend_shop`."""

    @abstractmethod
    async def mend_shop(self) -> None: ...

    # --- A shopper ----------------------------------------------------------------------------

    @abstractmethod
    async def place_order(self, items: list[tuple[str, int]], *, buyer: Buyer = SHOPPER, payment: str = "klarna",
                          shipping_price: str = "49.00", draft: bool = False, created_twice: bool = False,
                          before_items: bool = False) -> PlacedOrder:
        """Check out ``items`` as (article number, quantity), paid with ``payment`` (reference
        "klarna-ref-1"), shipped with PostNord at ``shipping_price`` ex VAT."""

    # --- Reading back ---------------------------------------------------------------------------

    @abstractmethod
    async def product(self, sku: str) -> ShopProduct | None: ...

    @abstractmethod
    async def skus(self) -> list[str]:
        """Every article number in the shop, products and variants (sorted)."""

    @abstractmethod
    async def order(self, order_id: str) -> ShopOrder: ...

    @abstractmethod
    async def categories(self) -> list[str]:
        """The names of every category (sorted)."""

    async def writes(self) -> list[str]:
        """Every request that changed something the shop has received so far, from the shop's own
        log, oldest first (only where :attr:`counts_writes`)."""
        raise NotImplementedError(f"the {self.platform} shop keeps no log of its writes")
