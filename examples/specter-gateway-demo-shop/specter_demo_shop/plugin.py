"""``demoshop``: a shop whose catalogue and customers live in one JSON file.

The smallest complete adapter, as a third-party package would write one. The file looks like
``{"products": {"ID": {"sku", "name", "price", "vat", "stock", "category"}}, "customers": {"ID":
{...}}, "categories": {"ID": {"name", "parent"}}}`` with prices ex VAT as decimal strings. The shop
tells the gateway about changes by POSTing ``{"object": "product", "action": "updated", "id":
"ID"}`` to the tenant's events URL with the tenant's inbound token as ``?token=``. It takes no
orders, and leaves out the optional hooks (``changed_orders``, ``close_shop``).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncGenerator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from gateway.adapter import InboundRequest, ItemResult, Platform, hookimpl
from gateway.errors import PermanentError, RejectedRequest
from gateway.model import (
    Address,
    Article,
    ArticleGroup,
    Customer,
    Order,
    OrderStatusUpdate,
    ShopEvent,
    StockLevel,
    convert,
)
from gateway.settings import Tenant

PLATFORM = "demoshop"


class DemoConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    catalogue: str  # path of the JSON file


class DemoShop:
    def __init__(self, path: Path, token: str):
        self.path = path
        self._token = token

    def __repr__(self) -> str:
        return f"DemoShop({str(self.path)!r})"

    def load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"), parse_float=Decimal)
        except FileNotFoundError:
            raise PermanentError(f"demoshop catalogue {self.path} does not exist") from None
        return data

    def save(self, data: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")

    def token_matches(self, given: str) -> bool:
        return bool(self._token) and hmac.compare_digest(given.encode(), self._token.encode())

    @staticmethod
    def find(data: dict[str, Any], article_no: str) -> str | None:
        """The id of the product with this article number (its ``sku``)."""
        return next((shop_id for shop_id, p in data["products"].items() if p.get("sku") == article_no), None)


def article(shop_id: str, data: dict[str, Any]) -> Article:
    stock = data.get("stock")
    return Article(article_no=str(data.get("sku", "")), name=str(data.get("name", "")),
                   price_ex_vat=Decimal(str(data.get("price", "0"))), vat_percent=Decimal(str(data.get("vat", "25"))),
                   stock=None if stock is None else int(stock), shop_id=shop_id)


def customer(shop_id: str, data: dict[str, Any]) -> Customer:
    return Customer(shop_id=shop_id, first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                    email=data.get("email", ""), address=Address(city=data.get("city", ""), country_code="SE"))


# --- Registration and inbound requests -----------------------------------------------------------


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Demo shop (JSON file)", connection=DemoConnection,
                    topics=("product.created", "product.updated", "product.deleted", "customer.created",
                            "customer.updated"))


@hookimpl
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> DemoShop:
    return DemoShop(Path(convert(tenant.shop, DemoConnection).catalogue), tenant.inbound_token)


@hookimpl
def decode_shop_request(shop: DemoShop, request: InboundRequest) -> list[ShopEvent]:
    if not shop.token_matches(request.query.get("token", "")):
        raise RejectedRequest(401, "missing or wrong token")
    try:
        body = json.loads(request.body)
        return [ShopEvent(object=body["object"], action=body["action"], object_id=str(body["id"]))]
    except (ValueError, KeyError, TypeError) as exc:
        raise RejectedRequest(400, f"expected {{object, action, id}}: {exc}") from None


@hookimpl
async def register_webhooks(shop: DemoShop, url: str, topics: list[str]) -> list[str]:
    return [f"{topic}: the demo shop posts to the events URL itself" for topic in topics]


# --- Shop to gateway -----------------------------------------------------------------------------


@hookimpl
async def fetch_order(shop: DemoShop, order_id: str) -> Order | None:
    return None  # the demo shop takes no orders


@hookimpl
async def fetch_product(shop: DemoShop, product_id: str) -> list[Article]:
    found = shop.load()["products"].get(product_id)
    return [] if found is None else [article(product_id, found)]


@hookimpl
async def fetch_customer(shop: DemoShop, customer_id: str) -> Customer | None:
    found = shop.load().get("customers", {}).get(customer_id)
    return None if found is None else customer(customer_id, found)


@hookimpl
async def iter_products(shop: DemoShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    items = list(shop.load()["products"].items())
    for start in range(0, len(items), page_size):
        yield [article(shop_id, data) for shop_id, data in items[start:start + page_size]]


@hookimpl
async def iter_customers(shop: DemoShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    items = list(shop.load().get("customers", {}).items())
    for start in range(0, len(items), page_size):
        yield [customer(shop_id, data) for shop_id, data in items[start:start + page_size]]


# --- Specter to shop -----------------------------------------------------------------------------


@hookimpl
async def find_product(shop: DemoShop, article_no: str) -> str | None:
    return shop.find(shop.load(), article_no)


@hookimpl
async def update_stock(shop: DemoShop, levels: list[StockLevel]) -> list[ItemResult]:
    data = shop.load()
    by_sku = {p["sku"]: shop_id for shop_id, p in data["products"].items()}
    results = []
    for level in levels:
        shop_id = by_sku.get(level.article_no)
        if shop_id is None:
            results.append(ItemResult(key=level.article_no, error=f"no product with sku {level.article_no}"))
            continue
        data["products"][shop_id]["stock"] = level.available
        results.append(ItemResult(key=level.article_no, shop_id=shop_id))
    shop.save(data)
    return results


@hookimpl
async def upsert_category(shop: DemoShop, group: ArticleGroup, active: bool) -> str:
    data = shop.load()
    categories = data.setdefault("categories", {})
    name = group.name or group.code
    for category_id, category in categories.items():
        if category["name"] == name and category.get("parent") == group.parent_code:
            return str(category_id)
    category_id = str(len(categories) + 1)
    categories[category_id] = {"name": name, "parent": group.parent_code}
    shop.save(data)
    return category_id


@hookimpl
async def upsert_product(shop: DemoShop, article: Article, category_id: str | None, fields: frozenset[str]) -> str:
    data = shop.load()
    shop_id = shop.find(data, article.article_no)
    if shop_id is None:  # a new product gets every field
        shop_id, fields = str(len(data["products"]) + 1), frozenset(Article.__struct_fields__)
        data["products"][shop_id] = {"sku": article.article_no}
    product = data["products"][shop_id]
    if "name" in fields and article.name:
        product["name"] = article.name
    if "price_ex_vat" in fields and article.price_ex_vat is not None:
        product["price"] = str(article.price_ex_vat)
    if "vat_percent" in fields and article.vat_percent is not None:
        product["vat"] = str(article.vat_percent)
    if "stock" in fields and article.stock is not None:
        product["stock"] = article.stock
    if category_id:
        product["category"] = category_id
    shop.save(data)
    return shop_id


@hookimpl
async def set_order_status(shop: DemoShop, order_id: str, update: OrderStatusUpdate) -> None:
    raise PermanentError(f"the demo shop takes no orders, so it has no order {order_id}")


@hookimpl
async def set_specter_order_no(shop: DemoShop, order_id: str, specter_order_no: str) -> None:
    raise PermanentError(f"the demo shop takes no orders, so it has no order {order_id}")
