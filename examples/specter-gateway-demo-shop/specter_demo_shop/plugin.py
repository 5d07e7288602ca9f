"""``demoshop``: a shop whose catalogue and customers live in one JSON file.

The smallest complete adapter, as a third-party package would write one. The file looks like
``{"products": {"ID": {"sku", "name", "price", "vat", "stock"}}, "customers": {"ID": {...}}}``
with prices ex VAT as decimal strings. The shop tells the gateway about changes by POSTing
``{"object": "product", "action": "updated", "id": "ID"}`` to the tenant's events URL with the
tenant's inbound token as ``?token=``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from gateway.adapter import InboundRequest, ItemResult, Platform, hookimpl
from gateway.errors import PermanentError, RejectedRequest
from gateway.model import Address, Article, Customer, ShopEvent, StockLevel, convert

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
            return json.loads(self.path.read_text(encoding="utf-8"), parse_float=Decimal)
        except FileNotFoundError:
            raise PermanentError(f"demoshop catalogue {self.path} does not exist") from None

    def save(self, data: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")

    def token_matches(self, given: str) -> bool:
        return bool(self._token) and hmac.compare_digest(given.encode(), self._token.encode())


def article(shop_id: str, data: dict[str, Any]) -> Article:
    stock = data.get("stock")
    return Article(article_no=str(data.get("sku", "")), name=str(data.get("name", "")),
                   price_ex_vat=Decimal(str(data.get("price", "0"))), vat_percent=Decimal(str(data.get("vat", "25"))),
                   stock=None if stock is None else int(stock), shop_id=shop_id)


def customer(shop_id: str, data: dict[str, Any]) -> Customer:
    return Customer(shop_id=shop_id, first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                    email=data.get("email", ""), address=Address(city=data.get("city", ""), country_code="SE"))


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Demo shop (JSON file)", connection=DemoConnection,
                    topics=("product.created", "product.updated", "product.deleted", "customer.created",
                            "customer.updated"))


@hookimpl
def open_shop(tenant, http) -> DemoShop | None:
    if tenant.platform != PLATFORM:
        return None  # another platform's tenant: its own adapter answers
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
async def fetch_product(shop: DemoShop, product_id: str) -> list[Article]:
    found = shop.load()["products"].get(product_id)
    return [] if found is None else [article(product_id, found)]


@hookimpl
async def fetch_customer(shop: DemoShop, customer_id: str) -> Customer | None:
    found = shop.load().get("customers", {}).get(customer_id)
    return None if found is None else customer(customer_id, found)


@hookimpl
async def fetch_order(shop: DemoShop, order_id: str) -> None:
    return None  # the demo shop takes no orders


@hookimpl
async def iter_products(shop: DemoShop, page_size: int) -> AsyncIterator[list[Article]]:
    items = list(shop.load()["products"].items())
    for start in range(0, len(items), page_size):
        yield [article(shop_id, data) for shop_id, data in items[start:start + page_size]]


@hookimpl
async def iter_customers(shop: DemoShop, page_size: int) -> AsyncIterator[list[Customer]]:
    items = list(shop.load().get("customers", {}).items())
    for start in range(0, len(items), page_size):
        yield [customer(shop_id, data) for shop_id, data in items[start:start + page_size]]


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
async def register_webhooks(shop: DemoShop, url: str, topics: list[str]) -> list[str]:
    return [f"{topic}: the demo shop posts to the events URL itself" for topic in topics]
