"""``memo``: a complete shop platform without I/O, which notes every operation it is asked.

It implements every required shop operation and leaves out the optional ones
(``changed_orders``, ``close_shop``), as a platform that cannot list changed orders would.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from gateway.adapter import InboundRequest, ItemResult, Platform, hookimpl
from gateway.model import Article, ArticleGroup, Customer, Order, OrderStatusUpdate, ShopEvent, StockLevel
from gateway.settings import Tenant

ASKED: list[tuple[str, str]] = []  # (operation, tenant id), in the order asked


class MemoShop:
    def __init__(self, tenant_id: str):
        self.tenant_id = tenant_id

    def asked(self, operation: str) -> None:
        ASKED.append((operation, self.tenant_id))


@hookimpl
def shop_platform() -> Platform:
    return Platform(name="memo", title="Memo (in memory)")


@hookimpl
def open_shop(tenant: Tenant, http: object) -> MemoShop:
    ASKED.append(("open_shop", tenant.id))
    return MemoShop(tenant.id)


@hookimpl
def decode_shop_request(shop: MemoShop, request: InboundRequest) -> list[ShopEvent]:
    shop.asked("decode_shop_request")
    return []


@hookimpl
async def fetch_order(shop: MemoShop, order_id: str) -> Order | None:
    shop.asked("fetch_order")
    return None


@hookimpl
async def fetch_product(shop: MemoShop, product_id: str) -> list[Article]:
    shop.asked("fetch_product")
    return []


@hookimpl
async def find_product(shop: MemoShop, article_no: str) -> str | None:
    shop.asked("find_product")
    return None


@hookimpl
async def fetch_customer(shop: MemoShop, customer_id: str) -> Customer | None:
    shop.asked("fetch_customer")
    return None


@hookimpl
async def iter_products(shop: MemoShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    shop.asked("iter_products")
    yield []


@hookimpl
async def iter_customers(shop: MemoShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    shop.asked("iter_customers")
    yield []


@hookimpl
async def update_stock(shop: MemoShop, levels: list[StockLevel]) -> list[ItemResult]:
    shop.asked("update_stock")
    return [ItemResult(key=level.article_no) for level in levels]


@hookimpl
async def upsert_category(shop: MemoShop, group: ArticleGroup, active: bool) -> str:
    shop.asked("upsert_category")
    return group.code


@hookimpl
async def upsert_product(shop: MemoShop, article: Article, category_id: str | None, fields: frozenset[str]) -> str:
    shop.asked("upsert_product")
    return article.article_no


@hookimpl
async def set_order_status(shop: MemoShop, order_id: str, update: OrderStatusUpdate) -> None:
    shop.asked("set_order_status")


@hookimpl
async def set_specter_order_no(shop: MemoShop, order_id: str, specter_order_no: str) -> None:
    shop.asked("set_specter_order_no")


@hookimpl
async def register_webhooks(shop: MemoShop, url: str, topics: list[str]) -> list[str]:
    shop.asked("register_webhooks")
    return []
