"""An older PHP shop speaking the gateway's small signed HTTP contract (v1 or v2, see README.md).

The shop's drop-in scripts (``php/``) POST signed events to the gateway and answer the
gateway's signed calls at one endpoint, ``gateway.php?action=…``. Writes the gateway makes
through that endpoint (stock, products, order status) do not fire events back, so there is no
echo to recognise.

Which contract version a shop speaks is configured per tenant (``contract_version`` in its shop
settings, 1 unless set), not negotiated: the gateway's calls must be in the form the shop's
scripts check before the first one is made, in the web process and every worker alike, and a
setting is that knowledge kept where every process reads it with the tenant. ``connect`` pings
the shop and refuses a version other than the one set, naming the fix.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any, Literal

import aiohttp
import msgspec

from adapters.legacy_php import decode
from adapters.legacy_php.client import LegacyPhpClient, LegacyPhpError
from adapters.legacy_php.signing import ReplayGuard
from gateway.adapter import DemoShop, InboundRequest, ItemResult, OrderStatusResult, Platform, expect_object, hookimpl
from gateway.errors import PermanentError
from gateway.model import (
    SHOP_ORDER_STATUSES,
    Article,
    ArticleGroup,
    Customer,
    Order,
    OrderStatusUpdate,
    ShopEvent,
    StockLevel,
    convert,
)
from gateway.settings import Tenant, TenantSettings

PLATFORM = "legacy_php"
TOPICS = ("order.created", "order.updated", "order.deleted", "product.created", "product.updated",
          "product.deleted", "customer.created", "customer.updated")


class LegacyPhpConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(
        title="gateway.php URL", description="The shop's gateway.php, e.g. https://shop.example.se/specter/gateway.php.")]
    shared_secret: Annotated[str, msgspec.Meta(
        title="Shared secret", description="The HMAC key both directions sign with; config.php's shared_secret.")]
    contract_version: Annotated[Literal[1, 2], msgspec.Meta(
        title="Contract version",
        description="The version of the drop-in scripts the shop runs (their ping answers it). 2: variants, gift "
                    "cards, custom fields, the buyer's organisation number and the replay guard table; 1: shops "
                    "installed before version 2, which keep working as they are.")] = 1


class LegacyPhpShop:
    def __init__(self, tenant: Tenant, client: LegacyPhpClient, secret: str):
        self.tenant_id = tenant.id
        self.client = client
        self.settings: TenantSettings = tenant.settings
        self._secret = secret
        self.replays = ReplayGuard()

    @property
    def contract_version(self) -> int:
        return self.client.contract_version

    def __repr__(self) -> str:  # the secret stays out
        return f"LegacyPhpShop(tenant={self.tenant_id!r}, url={self.client.url!r})"

    def verify(self, request: InboundRequest) -> None:
        self.replays.check(self._secret, request.headers, request.body, request.received_at or time.time())


def _demo_shop() -> DemoShop:
    """The real scripts under ``php -S`` for ``specter-gateway demo`` (loaded only then)."""
    from adapters.legacy_php.demo import LegacyPhpDemoShop

    return LegacyPhpDemoShop()


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Legacy PHP shop", connection=LegacyPhpConnection,
                    secret_fields=("shared_secret",), topics=TOPICS, order_status_problem=order_status_problem,
                    import_script="get_specter_articles.php", demo_shop=_demo_shop)


@hookimpl
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> LegacyPhpShop:
    connection = convert(tenant.shop, LegacyPhpConnection)
    client = LegacyPhpClient(connection.url, connection.shared_secret, http,
                             contract_version=connection.contract_version)
    return LegacyPhpShop(tenant, client, connection.shared_secret)


@hookimpl
def decode_shop_request(shop: LegacyPhpShop, request: InboundRequest) -> list[ShopEvent]:
    shop.verify(request)
    return decode.events(request.body, shop.contract_version)


# --- Shop to gateway ------------------------------------------------------------------------------


@hookimpl
async def fetch_order(shop: LegacyPhpShop, order_id: str) -> Order | None:
    data = await shop.client.get("get_order", order_id)
    if data is None:
        return None
    return decode.order(expect_object(data, "PHP shop get_order"), shop.settings.cash_on_delivery_methods)


@hookimpl
async def fetch_product(shop: LegacyPhpShop, product_id: str) -> list[Article]:
    data = await shop.client.get("get_product", product_id)
    return [] if data is None else decode.articles(expect_object(data, "PHP shop get_product"))


@hookimpl
async def fetch_customer(shop: LegacyPhpShop, customer_id: str) -> Customer | None:
    data = await shop.client.get("get_customer", customer_id)
    return None if data is None else decode.customer(expect_object(data, "PHP shop get_customer"))


async def _pages(shop: LegacyPhpShop, action: str, page_size: int) -> AsyncIterator[list[dict[str, Any]]]:
    page = 1
    while True:
        data = await shop.client.call(action, {"page": page, "per_page": page_size})
        if data["items"]:
            yield data["items"]
        if not data.get("has_more"):
            return
        page += 1


@hookimpl
async def iter_products(shop: LegacyPhpShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    async for items in _pages(shop, "list_products", page_size):
        yield [article for item in items for article in decode.articles(item)]


@hookimpl
async def iter_customers(shop: LegacyPhpShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    async for items in _pages(shop, "list_customers", page_size):
        yield [decode.customer(item) for item in items]


# --- Specter to shop ------------------------------------------------------------------------------


@hookimpl
async def update_stock(shop: LegacyPhpShop, levels: list[StockLevel]) -> list[ItemResult]:
    data = await shop.client.call("set_stock", {"items": [{"articleNo": level.article_no, "available": level.available}
                                                          for level in levels]})
    answered = {str(r["articleNo"]): r for r in data["results"]}
    results = []
    for level in levels:
        result = answered.get(level.article_no, {"ok": False, "error": "the shop did not answer for it"})
        results.append(ItemResult(key=level.article_no, error=None if result.get("ok") else str(result.get("error")),
                                  shop_id=str(result.get("id") or "")))
    return results


@hookimpl
async def find_product(shop: LegacyPhpShop, article_no: str) -> str | None:
    if not article_no:
        return None
    try:
        data = await shop.client.call("find_product", {"sku": article_no})
    except LegacyPhpError as exc:
        if exc.code == "not_found":
            return None
        raise
    return str(data["id"])


@hookimpl
async def upsert_category(shop: LegacyPhpShop, group: ArticleGroup, active: bool) -> str:
    data = await shop.client.call("upsert_category", {"name": group.name or group.code,
                                                      "parent_name": group.parent_code, "active": active})
    return str(data["id"])


@hookimpl
async def upsert_product(shop: LegacyPhpShop, article: Article, category_id: str | None,
                         fields: frozenset[str]) -> str:
    data = await shop.client.call("upsert_product", {"product": decode.product_body(article, fields),
                                                     "category_id": category_id})
    return str(data["id"])


def order_status_problem(status: str) -> str | None:
    """Why the contract cannot carry this order status, or None."""
    if status in SHOP_ORDER_STATUSES:
        return None
    return f"the legacy PHP shop's contract takes {', '.join(SHOP_ORDER_STATUSES)}"


@hookimpl
async def set_order_status(shop: LegacyPhpShop, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult:
    """The status and every tracking number, as absolute values: the shop's scripts fire nothing
    back for the gateway's writes and mail nobody, so writing them again changes nothing."""
    problem = order_status_problem(update.shop_status) if update.shop_status else None
    status = update.shop_status if update.shop_status and not problem else None
    if status or update.tracking_numbers:
        await shop.client.call("set_order_status", {"id": order_id, "status": status,
                                                    "tracking_numbers": update.tracking_numbers})
    return OrderStatusResult(status=status or "", tracking_added=update.tracking_numbers,
                             not_set=f"{update.shop_status}: {problem}" if problem else "")


@hookimpl
async def set_specter_order_no(shop: LegacyPhpShop, order_id: str, specter_order_no: str) -> None:
    await shop.client.call("set_specter_order_no", {"id": order_id, "specter_order_no": specter_order_no})


@hookimpl
async def register_webhooks(shop: LegacyPhpShop, url: str, topics: list[str]) -> list[str]:
    """Nothing to register: the shop's config.php names the gateway. Checks that the endpoint
    answers, and speaks the contract version the tenant is set to."""
    answer = await shop.client.call("ping")
    speaks = answer.get("version") if isinstance(answer, dict) else None
    if speaks != shop.contract_version:
        raise PermanentError(version_mismatch(speaks, shop.contract_version))
    return [f"{topic}: sent by the shop's specter_event() calls (contract version {speaks})" for topic in topics]


def version_mismatch(speaks: object, configured: int) -> str:
    """What to do when the shop's scripts speak another contract version than the tenant's."""
    said = f"the shop's scripts speak contract version {speaks!r}, but the tenant is set to {configured}"
    if speaks == 1:
        return (f"{said}: install the version 2 scripts (and run specter.sql in the shop's database), or set the "
                "tenant's shop setting contract_version=1")
    if speaks in decode.VERSIONS:
        return f"{said}: set the tenant's shop setting contract_version={speaks}"
    return f"{said}, a version this gateway does not speak ({', '.join(map(str, decode.VERSIONS))})"


__all__ = ["PLATFORM", "LegacyPhpConnection", "LegacyPhpError", "LegacyPhpShop"]
