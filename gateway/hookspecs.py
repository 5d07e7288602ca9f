"""The plugin contract: the hooks a shop platform adapter implements.

An adapter is a module (or object) registered on the gateway's plugin manager, found through the
``specter_gateway.adapters`` entry-point group. It names its platform with :func:`shop_platform`;
a tenant whose ``platform`` is that name is served by that adapter alone.

Two kinds of hooks:

- *Plugin hooks* (:data:`PLUGIN_HOOKS`): :func:`shop_platform`, which makes a plugin a platform
  plugin, and :func:`register_event_handlers`, which any plugin may answer.
- *Shop operations*: every other hook. The gateway calls them through
  :class:`gateway.shop.Shop`, which reaches only the tenant's own adapter, so exactly one
  implementation answers (``firstresult``).

A platform plugin implements every hook except those in :data:`OPTIONAL_HOOKS`; each hook's
docstring begins with "Required." or "Optional.". The gateway refuses to start when a platform
lacks a required hook, or when a plugin implements a hook whose name is not here (a misspelt
hook would never be called), and when a shop operation's implementation is ``async def`` where
the hook is not, or the other way round. Which optional hooks a platform leaves out is detected
once at start-up, and the gateway does without them.

An operation written ``async def`` here is an ``async def`` in the adapter too: the gateway
awaits the coroutine it returns. An ``iter_*`` operation is an async generator of pages (an
``async def`` that yields), which the gateway closes when it needs no more pages.

Every operation receives ``shop``: the object the adapter itself returned from
:func:`open_shop` for that tenant (its API client, settings and state). The gateway never looks
inside it, so adapters keep their platform's knowledge to themselves and annotate ``shop`` with
their own type. Operations raise :class:`gateway.errors.TransientError` for failures worth
retrying (timeouts, 5xx, 429, an HTML challenge page) and :class:`gateway.errors.PermanentError`
for the rest.
"""

# mypy: disable-error-code="empty-body"
# (The hooks below are signatures only: pluggy reads their names and parameters, never runs them.)

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import aiohttp

    from gateway.adapter import InboundRequest, ItemResult, OrderStatusResult, Platform, WebhookCheck
    from gateway.jobs.registry import Register
    from gateway.model import Article, ArticleGroup, Customer, Order, OrderStatusUpdate, ShopEvent, StockLevel
    from gateway.settings import Tenant

hookspec = pluggy.HookspecMarker("specter_gateway")

# Hooks any plugin may answer; every other hook is a shop operation, answered by the tenant's
# own platform alone.
PLUGIN_HOOKS = frozenset({"shop_platform", "register_event_handlers"})

# Hooks a platform plugin may leave out; it must implement every other one.
OPTIONAL_HOOKS = frozenset({"register_event_handlers", "changed_orders", "changed_objects", "close_shop",
                            "check_webhooks", "remove_webhooks", "check_tax_rates"})


# --- Plugin hooks -------------------------------------------------------------------------------


@hookspec
def shop_platform() -> Platform:
    """Required. Describe the platform this plugin adapts: its name (a tenant's ``platform``),
    the Struct that validates a tenant's connection settings, which of those are secrets, and
    the shop topics it can subscribe to. Answering it makes a plugin a platform plugin, which
    must then implement every required hook; platform names must be unique."""


@hookspec
def register_event_handlers(register: Register) -> None:
    """Optional, and open to any plugin. Register job handlers for event kinds:
    ``register(EventClass, handler)``, where the class (a :class:`gateway.events.TenantEvent` or
    :class:`gateway.events.AccountEvent`) names its kind and types its payload. The core engine
    registers its flows here; a plugin may add kinds of its own. ``handler(gw, event)`` receives
    the decoded event and must be idempotent, since every queue delivers at least once."""


# --- Shop operations (firstresult: only the tenant's own adapter answers) ------------------------


@hookspec(firstresult=True)
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> object:
    """Required. Return the per-tenant object passed as ``shop`` to every other operation
    (typically the platform's API client configured from ``tenant.shop``). Called once per
    tenant and cached, and only for the adapter's own tenants; ``http`` is the gateway's shared
    session."""


@hookspec(firstresult=True)
def decode_shop_request(shop: object, request: InboundRequest) -> list[ShopEvent]:
    """Required. Verify an inbound request from the shop (signature, token, replay window) and
    decode it into domain events. Raise :class:`gateway.errors.RejectedRequest` with the HTTP
    status and a message for a request that must be refused; return ``[]`` for one that needs an
    answer but carries no event (a webhook ping). A plain ``def`` that does no I/O: the gateway
    stores the events and answers at once."""


@hookspec(firstresult=True)
async def fetch_order(shop: object, order_id: str) -> Order | None:
    """Required. Fetch the current order from the shop (webhook bodies are only hints). ``None``
    when the order no longer exists."""


@hookspec(firstresult=True)
async def fetch_product(shop: object, product_id: str) -> list[Article]:
    """Required. Fetch a product as the sellable articles it stands for: a simple product is one
    Article, a variable product one Article per variation (each with its own article number).
    ``[]`` when it no longer exists."""


@hookspec(firstresult=True)
async def find_product(shop: object, article_no: str) -> str | None:
    """Required. The shop's id of the product or variant with this article number, or ``None``
    when the shop has none (the article-data flow updates only what exists, unless importing)."""


@hookspec(firstresult=True)
async def fetch_customer(shop: object, customer_id: str) -> Customer | None:
    """Required. Fetch a customer from the shop; ``None`` when it no longer exists."""


@hookspec(firstresult=True)
async def changed_orders(shop: object, since: datetime) -> list[ShopEvent]:
    """Optional. Orders changed in the shop since ``since`` (UTC), as order events with a dedupe
    key that names the order and its modification time. The gateway asks every few minutes, so
    that an order whose webhook was lost, or whose webhook the shop disabled, still reaches
    Specter; backfill and reconciliation ask it too. A platform that cannot tell leaves this hook
    out, and is not asked."""


@hookspec(firstresult=True)
async def changed_objects(shop: object, since: datetime) -> list[ShopEvent]:
    """Optional. Products and customers changed in the shop since ``since`` (UTC), as events with
    a dedupe key that names the object and its modification time. Asked beside
    :func:`changed_orders`, for a platform whose own notifications cannot be relied on for
    them (Abicart documents no event for a changed article or customer). A platform whose
    webhooks cover them leaves this hook out, and is not asked."""


@hookspec(firstresult=True)
def iter_products(shop: object, page_size: int) -> AsyncGenerator[list[Article], None]:
    """Required. Stream the whole catalogue as pages of sellable articles, for the bulk export,
    reconciliation (each article's stock and prices as the shop shows them) and the connection
    check. Memory must not grow with the catalogue: fetch page by page (a few pages ahead at
    most)."""


@hookspec(firstresult=True)
def iter_customers(shop: object, page_size: int) -> AsyncGenerator[list[Customer], None]:
    """Required. Stream every customer as pages, for the bulk export."""


@hookspec(firstresult=True)
async def update_stock(shop: object, levels: list[StockLevel]) -> list[ItemResult]:
    """Required. Set the available quantity of a batch (at most 100) of articles, found by
    article number; a variant's stock is set on the variant. Answer one :class:`ItemResult` per
    level, so one unknown article fails alone."""


@hookspec(firstresult=True)
async def upsert_category(shop: object, group: ArticleGroup, active: bool) -> str:
    """Required. Create the category for a Specter article group, or find the existing one;
    return the shop's category id. Running it twice creates nothing the second time."""


@hookspec(firstresult=True)
async def upsert_product(shop: object, article: Article, category_id: str | None, fields: frozenset[str]) -> str:
    """Required. Create or update the shop product for ``article`` (found by article number),
    changing only ``fields`` (names of :class:`Article` fields, e.g. just ``price_ex_vat`` for
    "import price only") and placing it in ``category_id`` when given; return the shop's product
    id."""


@hookspec(firstresult=True)
async def set_order_status(shop: object, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult | None:
    """Required. Reflect an order change from Specter: set ``update.shop_status`` (the tenant's
    order_status_map made it; "" leaves the status alone; translate it to the platform's words)
    and show the new ones of ``update.tracking_numbers`` where the shop owner and the customer
    see them. Write only what the order does not show already: a change Specter reports again,
    and the shop's echo of the write, must change nothing. A status the platform cannot set is
    no error: say why in the answer's ``not_set``. ``None`` answers "done, nothing to report"."""


@hookspec(firstresult=True)
async def set_specter_order_no(shop: object, order_id: str, specter_order_no: str) -> None:
    """Required. Write Specter's order number back to the shop order."""


@hookspec(firstresult=True)
async def register_webhooks(shop: object, url: str, topics: list[str]) -> list[str]:
    """Required. Make the shop call ``url`` for ``topics`` (creating or updating its webhooks or
    event listeners); return what was registered, for the operator. A shop that is told the URL
    some other way checks that it is reachable and says so."""


@hookspec(firstresult=True)
async def check_webhooks(shop: object, url: str, topics: list[str], previous_url: str,
                         settings_changed: bool) -> list[WebhookCheck]:
    """Optional. Check the shop's webhooks (or event listeners) for ``topics`` calling ``url``
    and repair what is wrong: create a missing one, re-activate one the shop disabled or paused
    (shops do that after failed deliveries), move one still calling ``previous_url`` (the URL of
    the last check, ``""`` when unknown) to ``url``, and, when ``settings_changed`` (the tenant's
    shop settings changed since the last check), write the settings it carries to every one
    (a webhook secret, which shops never show). Change nothing that is right: the gateway asks
    at every poll. Answer one :class:`gateway.adapter.WebhookCheck` per topic. A platform whose
    shop cannot be asked leaves this hook out; ``tenant connect`` then relies on
    :func:`register_webhooks` alone."""


@hookspec(firstresult=True)
async def remove_webhooks(shop: object, urls: list[str]) -> list[str]:
    """Optional. Delete the shop's webhooks (or event listeners) that call any of ``urls``; the
    tenant is being removed. Leave every other webhook alone. Answer what was removed, for the
    operator. A platform that cannot delete them leaves this hook out."""


@hookspec(firstresult=True)
async def check_tax_rates(shop: object, vat_rates: list[Decimal]) -> list[str]:
    """Optional. Whether the shop can sell at each of ``vat_rates`` (percents Specter's articles
    use): for a platform whose products name a tax class and whose shop keeps the rates of each
    class (WooCommerce), a VAT rate whose class is missing, or holds no such rate, would sell an
    imported article at the wrong VAT. Answer one sentence per rate the shop cannot charge,
    saying what to set up where (``[]``: all fine); the connection test shows them. A platform
    that keeps the VAT percent on the product itself leaves this hook out."""


@hookspec(firstresult=True)
def close_shop(shop: object) -> Awaitable[None] | None:
    """Optional. Release what :func:`open_shop` acquired, when the gateway stops or the tenant's
    settings change (a plain or an ``async def``). A platform with nothing to release leaves it
    out."""
