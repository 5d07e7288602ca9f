"""One tenant's shop as the gateway uses it: a typed method per shop operation.

A :class:`Shop` joins what a call needs: the tenant's platform adapter (whose hook callers reach
that adapter alone) and the handle the adapter's ``open_shop`` made for the tenant. The engine,
the web routes and the CLI call its methods; only this module knows the hooks by name. Each
awaited operation is timed for Prometheus, labelled with the platform and the operation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any, cast

import aiohttp

from gateway import metrics
from gateway.adapter import InboundRequest, ItemResult, OrderStatusResult, WebhookCheck
from gateway.model import Article, ArticleGroup, Customer, Order, OrderStatusUpdate, ShopEvent, StockLevel
from gateway.plugins import PlatformAdapter
from gateway.settings import Tenant


class Shop:
    """One tenant's shop: typed calls to its platform's adapter, with the handle it opened."""

    def __init__(self, tenant_id: str, adapter: PlatformAdapter, handle: object):
        self.tenant_id = tenant_id
        self.adapter = adapter
        self.handle = handle  # the adapter's own object: the gateway never looks inside

    @classmethod
    def open(cls, tenant: Tenant, adapter: PlatformAdapter, http: aiohttp.ClientSession) -> Shop:
        """Ask the tenant's adapter for its handle (``open_shop``); no I/O happens here."""
        return cls(tenant.id, adapter, adapter.operation("open_shop")(tenant=tenant, http=http))

    @property
    def platform(self) -> str:
        return self.adapter.platform.name

    @property
    def can_list_changed_orders(self) -> bool:
        """Whether the platform can tell which orders changed lately (``changed_orders``)."""
        return self.adapter.implements("changed_orders")

    @property
    def can_check_webhooks(self) -> bool:
        """Whether the platform can check and repair the shop's webhooks (``check_webhooks``)."""
        return self.adapter.implements("check_webhooks")

    @property
    def can_remove_webhooks(self) -> bool:
        """Whether the platform can delete the shop's webhooks (``remove_webhooks``)."""
        return self.adapter.implements("remove_webhooks")

    @property
    def can_list_changed_objects(self) -> bool:
        """Whether the platform can tell which products and customers changed lately (``changed_objects``)."""
        return self.adapter.implements("changed_objects")

    @property
    def can_check_tax_rates(self) -> bool:
        """Whether the platform keeps VAT in tax classes it can be asked about (``check_tax_rates``)."""
        return self.adapter.implements("check_tax_rates")

    @property
    def can_create_unpublished(self) -> bool:
        """Whether ``upsert_product`` can create a product its visitors do not see yet."""
        return self.adapter.platform.unpublished_products

    def __repr__(self) -> str:
        return f"Shop(tenant={self.tenant_id!r}, platform={self.platform!r})"

    def _ask(self, operation: str, **kwargs: object) -> Any:
        """Call an operation of the tenant's own adapter, with the handle it made for the tenant."""
        return self.adapter.operation(operation)(shop=self.handle, **kwargs)

    async def _call(self, operation: str, **kwargs: object) -> Any:
        """Call an ``async def`` operation and await its answer, timed."""
        with metrics.timed(metrics.SHOP_CALLS, self.platform, operation):
            return await self._ask(operation, **kwargs)

    # -- shop to gateway ----------------------------------------------------------------------

    def decode_shop_request(self, request: InboundRequest) -> list[ShopEvent]:
        """Verify and decode an inbound request; no I/O, so the route answers at once."""
        return cast("list[ShopEvent]", self._ask("decode_shop_request", request=request))

    async def fetch_order(self, order_id: str) -> Order | None:
        return cast("Order | None", await self._call("fetch_order", order_id=order_id))

    async def fetch_product(self, product_id: str) -> list[Article]:
        return cast("list[Article]", await self._call("fetch_product", product_id=product_id))

    async def find_product(self, article_no: str) -> str | None:
        return cast("str | None", await self._call("find_product", article_no=article_no))

    async def fetch_customer(self, customer_id: str) -> Customer | None:
        return cast("Customer | None", await self._call("fetch_customer", customer_id=customer_id))

    async def changed_orders(self, since: dt.datetime) -> list[ShopEvent]:
        """Only for a platform that :attr:`can_list_changed_orders`."""
        return cast("list[ShopEvent]", await self._call("changed_orders", since=since))

    async def changed_objects(self, since: dt.datetime) -> list[ShopEvent]:
        """Only for a platform that :attr:`can_list_changed_objects`."""
        return cast("list[ShopEvent]", await self._call("changed_objects", since=since))

    def iter_products(self, page_size: int) -> AsyncGenerator[list[Article], None]:
        return cast("AsyncGenerator[list[Article], None]", self._ask("iter_products", page_size=page_size))

    def iter_customers(self, page_size: int) -> AsyncGenerator[list[Customer], None]:
        return cast("AsyncGenerator[list[Customer], None]", self._ask("iter_customers", page_size=page_size))

    # -- gateway to shop ----------------------------------------------------------------------

    async def update_stock(self, levels: list[StockLevel]) -> list[ItemResult]:
        return cast("list[ItemResult]", await self._call("update_stock", levels=levels))

    async def upsert_category(self, group: ArticleGroup, active: bool) -> str:
        return cast(str, await self._call("upsert_category", group=group, active=active))

    async def upsert_product(self, article: Article, category_id: str | None, fields: frozenset[str]) -> str:
        return cast(str, await self._call("upsert_product", article=article, category_id=category_id, fields=fields))

    async def set_order_status(self, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult:
        answer = await self._call("set_order_status", order_id=order_id, update=update)
        return answer if isinstance(answer, OrderStatusResult) else OrderStatusResult()

    async def set_specter_order_no(self, order_id: str, specter_order_no: str) -> None:
        await self._call("set_specter_order_no", order_id=order_id, specter_order_no=specter_order_no)

    async def register_webhooks(self, url: str, topics: list[str]) -> list[str]:
        return cast("list[str]", await self._call("register_webhooks", url=url, topics=topics))

    async def check_webhooks(self, url: str, topics: list[str], previous_url: str,
                             settings_changed: bool) -> list[WebhookCheck]:
        """Only for a platform that :attr:`can_check_webhooks`."""
        return cast("list[WebhookCheck]", await self._call(
            "check_webhooks", url=url, topics=topics, previous_url=previous_url, settings_changed=settings_changed))

    async def remove_webhooks(self, urls: list[str]) -> list[str]:
        """Only for a platform that :attr:`can_remove_webhooks`."""
        return cast("list[str]", await self._call("remove_webhooks", urls=urls))

    async def check_tax_rates(self, vat_rates: list[Decimal]) -> list[str]:
        """Only for a platform that :attr:`can_check_tax_rates`."""
        return cast("list[str]", await self._call("check_tax_rates", vat_rates=vat_rates))

    async def close(self) -> None:
        """Release what ``open_shop`` acquired, for a platform that holds anything."""
        if self.adapter.implements("close_shop"):
            released = self._ask("close_shop")
            if released is not None:  # an async def close_shop
                await released
