"""The plugin contract: the hooks a shop platform adapter implements.

An adapter is a module (or object) registered on the gateway's plugin manager, found through the
``specter_gateway.adapters`` entry-point group. It names its platform with :func:`shop_platform`;
a tenant whose ``platform`` is that name is served by that adapter alone.

How async code is reached: the sync engine calls the *shop operations* below through a hook
caller restricted to the tenant's own adapter (see :mod:`gateway.plugins`), so exactly one
implementation answers (``firstresult``). An operation may therefore be an ``async def``: the
coroutine it returns is the answer, and the engine awaits it. An ``iter_*`` operation returns an
async iterator of pages.

Every operation receives ``shop``: the object the adapter itself returned from
:func:`open_shop` for that tenant (its API client, settings and state), so adapters keep their
platform's knowledge to themselves. Operations raise :class:`gateway.errors.TransientError` for
failures worth retrying (timeouts, 5xx, 429, an HTML challenge page) and
:class:`gateway.errors.PermanentError` for the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import aiohttp

    from gateway.adapter import InboundRequest, ItemResult, Platform
    from gateway.jobs.registry import Register
    from gateway.model import Article, ArticleGroup, Customer, Order, OrderStatusUpdate, ShopEvent, StockLevel
    from gateway.settings import Tenant

hookspec = pluggy.HookspecMarker("specter_gateway")


# --- Registration ----------------------------------------------------------------------------


@hookspec
def shop_platform() -> Platform:
    """Describe the platform this plugin adapts: its name (a tenant's ``platform``), the Struct
    that validates a tenant's connection settings, which of those are secrets, and the shop
    topics it can subscribe to. Every adapter answers; names must be unique."""


@hookspec
def register_event_handlers(register: Register) -> None:
    """Register job handlers for event kinds: ``register(EventClass, handler)``, where the class
    (a :class:`gateway.events.TenantEvent` or :class:`gateway.events.AccountEvent`) names its
    kind and types its payload. The core engine registers its flows here; a plugin may add kinds
    of its own. ``handler(gw, event)`` receives the decoded event and must be idempotent, since
    every queue delivers at least once."""


# --- Shop operations (firstresult: only the tenant's own adapter answers) ------------------------


@hookspec(firstresult=True)
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> Any:
    """Return the per-tenant object passed as ``shop`` to every other operation (typically the
    platform's API client configured from ``tenant.shop``). Called once per tenant and cached;
    ``http`` is the gateway's shared session."""


@hookspec(firstresult=True)
def decode_shop_request(shop: Any, request: InboundRequest) -> list[ShopEvent]:
    """Verify an inbound request from the shop (signature, token, replay window) and decode it
    into domain events. Raise :class:`gateway.errors.RejectedRequest` with the HTTP status and a
    message for a request that must be refused; return ``[]`` for one that needs an answer but
    carries no event (a webhook ping). Must not do I/O: the gateway stores the events and
    answers at once."""


@hookspec(firstresult=True)
def fetch_order(shop: Any, order_id: str) -> Awaitable[Order | None]:
    """Fetch the current order from the shop (webhook bodies are only hints). ``None`` when the
    order no longer exists."""


@hookspec(firstresult=True)
def fetch_product(shop: Any, product_id: str) -> Awaitable[list[Article]]:
    """Fetch a product as the sellable articles it stands for: a simple product is one Article,
    a variable product one Article per variation (each with its own article number). ``[]``
    when it no longer exists."""


@hookspec(firstresult=True)
def find_product(shop: Any, article_no: str) -> Awaitable[str | None]:
    """The shop's id of the product or variant with this article number, or ``None`` when the
    shop has none (the article-data flow updates only what exists, unless importing)."""


@hookspec(firstresult=True)
def fetch_customer(shop: Any, customer_id: str) -> Awaitable[Customer | None]:
    """Fetch a customer from the shop; ``None`` when it no longer exists."""


@hookspec(firstresult=True)
def changed_orders(shop: Any, since: datetime) -> Awaitable[list[ShopEvent]]:
    """Orders changed in the shop since ``since`` (UTC), as order events with a dedupe key that
    names the order and its modification time. The gateway asks every few minutes, so that an
    order whose webhook was lost, or whose webhook the shop disabled, still reaches Specter. An
    adapter that cannot tell leaves this hook out."""


@hookspec(firstresult=True)
def iter_products(shop: Any, page_size: int) -> AsyncIterator[list[Article]]:
    """Stream the whole catalogue as pages of sellable articles, for the bulk export. Memory
    must not grow with the catalogue: fetch page by page."""


@hookspec(firstresult=True)
def iter_customers(shop: Any, page_size: int) -> AsyncIterator[list[Customer]]:
    """Stream every customer as pages, for the bulk export."""


@hookspec(firstresult=True)
def update_stock(shop: Any, levels: list[StockLevel]) -> Awaitable[list[ItemResult]]:
    """Set the available quantity of a batch (at most 100) of articles, found by article
    number; a variant's stock is set on the variant. Answer one :class:`ItemResult` per level,
    so one unknown article fails alone."""


@hookspec(firstresult=True)
def upsert_category(shop: Any, group: ArticleGroup, active: bool) -> Awaitable[str]:
    """Create the category for a Specter article group, or find the existing one; return the
    shop's category id. Running it twice creates nothing the second time."""


@hookspec(firstresult=True)
def upsert_product(shop: Any, article: Article, category_id: str | None, fields: frozenset[str]) -> Awaitable[str]:
    """Create or update the shop product for ``article`` (found by article number), changing
    only ``fields`` (names of :class:`Article` fields, e.g. just ``price_ex_vat`` for "import
    price only") and placing it in ``category_id`` when given; return the shop's product id."""


@hookspec(firstresult=True)
def set_order_status(shop: Any, order_id: str, update: OrderStatusUpdate) -> Awaitable[None]:
    """Reflect an order change from Specter: delivered sets the order completed with its
    tracking numbers; deleted cancels it."""


@hookspec(firstresult=True)
def set_specter_order_no(shop: Any, order_id: str, specter_order_no: str) -> Awaitable[None]:
    """Write Specter's order number back to the shop order."""


@hookspec(firstresult=True)
def register_webhooks(shop: Any, url: str, topics: list[str]) -> Awaitable[list[str]]:
    """Make the shop call ``url`` for ``topics`` (creating or updating its webhooks or event
    listeners); return what was registered, for the operator."""


@hookspec(firstresult=True)
def close_shop(shop: Any) -> Awaitable[None] | None:
    """Release what :func:`open_shop` acquired (called at shutdown)."""
