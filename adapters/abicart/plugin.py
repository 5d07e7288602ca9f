"""Abicart / Textalk Webshop (JSON-RPC 2.0) as a shop platform: the adapter's hook implementations.

Choices where the domain has no Abicart counterpart:

- Events: one ``EventListener`` per Abicart event name, calling the gateway's per-tenant URL
  with the tenant's inbound token as ``?token=`` (Abicart signs nothing, so the unguessable
  token is the proof). The body names the event and the object's uid; the engine re-fetches it.
  Gateway topics map to event names as :data:`EVENT_NAMES` shows; ``Order/discarded`` is an
  order deleted in the shop.
- Specter's order number goes to the order's ``externalOrderNumber``, written only when it
  differs: writing it fires ``Order/changed``, whose job would otherwise write it again.
- Order statuses and tracking numbers as :mod:`adapters.abicart.order_status` says: cancelled
  discards the order, completed marks it delivered, no other status can be set; the tracking
  numbers go into the order's admin note.
- A variant's stock is set on the ``ArticleVariant``; an inactive article group is a hidden
  Articlegroup. Article groups are found by name (in the tenant's language) under their parent.
- An article Specter does not publish in the web shop is created as a ``draft`` (not shown to
  visitors); an existing article's visibility is the shop owner's.
- The shop's base currency must be SEK (Abicart's own rule): an order in another currency, or a
  tenant whose currency setting is not SEK, is refused naming the currency.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from adapters.abicart import decode, order_status
from adapters.abicart.client import AbicartClient, AbicartError
from adapters.abicart.fake_shop import simulator
from gateway.adapter import InboundRequest, ItemResult, OrderStatusResult, Platform, hookimpl
from gateway.errors import PermanentError, RejectedRequest
from gateway.model import (
    Article,
    ArticleGroup,
    Customer,
    InvalidInput,
    Order,
    OrderStatusUpdate,
    ShopEvent,
    StockLevel,
    convert,
)
from gateway.settings import Tenant, TenantSettings

PLATFORM = "abicart"

# Gateway topic -> Abicart event name.
EVENT_NAMES = {
    "order.created": "Order/created",
    "order.updated": "Order/changed",
    "order.deleted": "Order/discarded",
    "product.created": "Article/created",
    "product.updated": "Article/changed",
    "product.deleted": "Article/deleted",
    "customer.created": "Customer/created",
    "customer.updated": "Customer/changed",
}
# Abicart event name -> (object, action) of the ShopEvent it becomes.
EVENTS = {name: tuple(topic.split(".")) for topic, name in EVENT_NAMES.items()}


class AbicartConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    webshop: int  # the shop id
    auth_token: str
    url: str = "https://admin.abicart.se/backend/jsonrpc/v1/"


class AbicartShop:
    """One tenant's shop: its client, settings, inbound token and article number cache."""

    def __init__(self, tenant: Tenant, client: AbicartClient):
        self.tenant_id = tenant.id
        self.client = client
        self.settings: TenantSettings = tenant.settings
        self.inbound_token = tenant.inbound_token
        # article number -> ("article" | "variant", uid)
        self.locations: dict[str, tuple[str, str]] = {}

    @property
    def language(self) -> str:
        return self.settings.language

    def __repr__(self) -> str:  # the client and token are secrets
        return f"AbicartShop(tenant={self.tenant_id!r}, webshop={self.client.webshop})"

    def check_currency(self) -> None:
        decode.require_sek(self.settings.currency, f"tenant {self.tenant_id!r}'s shop")

    async def locate(self, numbers: list[str]) -> None:
        """Find where the given article numbers live (articles or variants), for the cache."""
        unknown = [n for n in numbers if n not in self.locations]
        if not unknown:
            return
        for data in await self.client.list_articles({"articleNumber": unknown}, limit=len(unknown)):
            self.locations[str(data["articleNumber"])] = ("article", str(data["uid"]))
        for data in await self.client.list_variants({"articleNumber": unknown}):
            self.locations[str(data["articleNumber"])] = ("variant", str(data["uid"]))


# --- Registration and inbound requests ------------------------------------------------------------


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Abicart (Textalk Webshop)", connection=AbicartConnection,
                    secret_fields=("auth_token",), topics=tuple(EVENT_NAMES),
                    simulator=simulator, unpublished_products=True,
                    order_status_problem=order_status.status_problem)


@hookimpl
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> AbicartShop:
    connection = convert(tenant.shop, AbicartConnection)
    return AbicartShop(tenant, AbicartClient(connection.url, connection.webshop, connection.auth_token, http))


@hookimpl
def decode_shop_request(shop: AbicartShop, request: InboundRequest) -> list[ShopEvent]:
    token = request.query.get("token", "")
    if not shop.inbound_token or not hmac.compare_digest(token.encode(), shop.inbound_token.encode()):
        raise RejectedRequest(401, "missing or wrong token in the event listener URL")
    try:
        body = decode.loads(request.body)
    except InvalidInput:
        raise RejectedRequest(400, "Abicart event body is not JSON") from None
    if not isinstance(body, dict):
        raise RejectedRequest(400, "Abicart event body is not a JSON object")
    name = str(body.get("eventName", ""))
    if name not in EVENTS:
        raise RejectedRequest(400, f"unknown Abicart event {name!r}")
    uid = str(body.get("uid", "")).strip()
    if not uid:
        raise RejectedRequest(400, f"Abicart event {name} has no uid")
    obj, action = EVENTS[name]
    return [ShopEvent(
        object=obj,  # type: ignore[arg-type]
        action=action,  # type: ignore[arg-type]
        object_id=uid,
        payload={"event": name, "uid": uid},
        # A creation happens once: a repeated delivery of it is stored once. Changes carry no
        # version, so each delivery is its own event (the engine re-fetches and compares).
        dedupe_key=f"{name}:{uid}" if action == "created" else None,
    )]


# --- Shop to gateway ------------------------------------------------------------------------------


@hookimpl
async def fetch_order(shop: AbicartShop, order_id: str) -> Order | None:
    shop.check_currency()
    found = await shop.client.get_order(order_id)
    if found is None:
        return None
    data, items = found
    return decode.order(data, items, shop.language, shop.settings.cash_on_delivery_methods)


async def _articles(shop: AbicartShop, data: dict[str, Any]) -> list[Article]:
    variants = await shop.client.list_variants({"article": data["uid"]}) if data.get("choices") else []
    return decode.articles(data, variants, shop.language)


@hookimpl
async def fetch_product(shop: AbicartShop, product_id: str) -> list[Article]:
    shop.check_currency()
    data = await shop.client.get_article(product_id)
    return [] if data is None else await _articles(shop, data)


@hookimpl
async def fetch_customer(shop: AbicartShop, customer_id: str) -> Customer | None:
    data = await shop.client.get_customer(customer_id)
    return None if data is None else decode.customer(data, shop.language)


@hookimpl
async def iter_products(shop: AbicartShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    shop.check_currency()
    async for page in shop.client.article_pages(page_size):
        with_choices = [d["uid"] for d in page if d.get("choices")]
        variants = await shop.client.list_variants({"article": with_choices}) if with_choices else []
        found: list[Article] = []
        for data in page:
            mine = [v for v in variants if v.get("article") == data["uid"]]
            found += decode.articles(data, mine, shop.language)
        yield found


@hookimpl
async def iter_customers(shop: AbicartShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    async for page in shop.client.customer_pages(page_size):
        yield [decode.customer(data, shop.language) for data in page]


# --- Specter to shop ------------------------------------------------------------------------------


@hookimpl
async def update_stock(shop: AbicartShop, levels: list[StockLevel]) -> list[ItemResult]:
    await shop.locate([level.article_no for level in levels])
    results = []
    for level in levels:
        place = shop.locations.get(level.article_no)
        if place is None:
            results.append(ItemResult(key=level.article_no,
                                      error=f"no article or variant with number {level.article_no}"))
            continue
        kind, uid = place
        try:
            if kind == "variant":
                await shop.client.set_variant(uid, {"stock": level.available})
            else:
                await shop.client.set_article(uid, {"stock": level.available})
        except AbicartError as exc:
            shop.locations.pop(level.article_no, None)  # deleted or moved: look it up again next time
            results.append(ItemResult(key=level.article_no, error=str(exc), shop_id=uid))
            continue
        results.append(ItemResult(key=level.article_no, shop_id=uid))
    return results


@hookimpl
async def find_product(shop: AbicartShop, article_no: str) -> str | None:
    if not article_no:
        return None
    await shop.locate([article_no])
    place = shop.locations.get(article_no)
    return place[1] if place else None


@hookimpl
async def upsert_category(shop: AbicartShop, group: ArticleGroup, active: bool) -> str:
    parent = await _group(shop, group.parent_code, None, True) if group.parent_code else None
    return await _group(shop, group.name or group.code, parent, active)


async def _group(shop: AbicartShop, name: str, parent: str | None, active: bool) -> str:
    for data in await shop.client.list_groups({"parent": int(parent) if parent else None}):
        if decode.text(data.get("name"), shop.language) == name:
            return str(data["uid"])
    created = await shop.client.create_group(
        {"name": {shop.language: name}, "parent": int(parent) if parent else None, "hidden": not active})
    return str(created["uid"])


def _price(amount: Decimal, vat_percent: Decimal | None) -> dict[str, Any]:
    price: dict[str, Any] = {"exVat": amount}
    if vat_percent is not None:
        price["vatRate"] = vat_percent / 100
    return price


def article_patch(shop: AbicartShop, article: Article, fields: frozenset[str]) -> dict[str, Any]:
    """The Abicart article fields for the chosen :class:`Article` fields."""
    lang = shop.language
    patch: dict[str, Any] = {}
    if "name" in fields and article.name:
        patch["name"] = {lang: article.name}
    if "price_ex_vat" in fields and article.price_ex_vat is not None:
        patch["price"] = _price(article.price_ex_vat, article.vat_percent)
    if "sale_price_ex_vat" in fields:
        sale = article.sale_price_ex_vat
        patch["campaignPrice"] = None if sale is None else _price(sale, article.vat_percent)
    if "description" in fields and article.description:
        patch["description"] = {lang: article.description}
    if "short_description" in fields and article.short_description:
        patch["introductionText"] = {lang: article.short_description}
    if "weight_kg" in fields and article.weight_kg is not None:
        patch["weight"] = int(article.weight_kg * 1000)  # grams
    if "stock" in fields and article.stock is not None:
        patch["stock"] = article.stock
    return patch


@hookimpl
async def upsert_product(shop: AbicartShop, article: Article, category_id: str | None,
                         fields: frozenset[str]) -> str:
    await shop.locate([article.article_no])
    place = shop.locations.get(article.article_no)
    if place is None:
        every = frozenset(Article.__struct_fields__)
        patch = {"articleNumber": article.article_no, **article_patch(shop, article, every)}
        if article.published is False:
            patch["draft"] = True
        if category_id:
            patch["articlegroup"] = int(category_id)
        created = await shop.client.create_article(patch)
        shop.locations[article.article_no] = ("article", str(created["uid"]))
        return str(created["uid"])
    kind, uid = place
    patch = article_patch(shop, article, fields)
    if kind == "variant":  # a variant has its own number, stock and price only
        patch = {k: v for k, v in patch.items() if k in ("stock", "price")}
        await shop.client.set_variant(uid, patch)
    else:
        if category_id:
            patch["articlegroup"] = int(category_id)
        await shop.client.set_article(uid, patch)
    return uid


@hookimpl
async def set_order_status(shop: AbicartShop, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult:
    """Only what the order does not show yet: every Order.set fires Order/changed."""
    order = await shop.client.get_order_state(order_id)
    if order is None:
        raise PermanentError(f"Abicart has no order {order_id}")
    patch: dict[str, Any] = {}
    not_set = ""
    if update.shop_status:
        problem = order_status.status_problem(update.shop_status)
        if problem:
            not_set = f"{update.shop_status}: {problem}"
        else:
            patch |= order_status.status_patch(order, update.shop_status)
    note = str(order.get("note") or "")
    noted = order_status.noted_numbers(note)
    new = [number for number in dict.fromkeys(update.tracking_numbers) if number not in noted]
    if new:
        patch["note"] = order_status.note_with(note, new, shop.language)
    if patch:
        await shop.client.set_order(order_id, patch)
    return OrderStatusResult(status=update.shop_status if patch.keys() - {"note"} else "", tracking_added=new,
                             not_set=not_set)


@hookimpl
async def set_specter_order_no(shop: AbicartShop, order_id: str, specter_order_no: str) -> None:
    await shop.client.set_order(order_id, {"externalOrderNumber": specter_order_no})


@hookimpl
async def register_webhooks(shop: AbicartShop, url: str, topics: list[str]) -> list[str]:
    """One listener per event name; one already calling the same URL is kept."""
    target = f"{url}?{urlencode({'token': shop.inbound_token})}"
    existing = {(str(x.get("eventName")), str(x.get("url"))): x for x in await shop.client.list_listeners()}
    done: list[str] = []
    for topic in topics:
        name = EVENT_NAMES[topic]
        found = existing.get((name, target))
        if found is None:
            created = await shop.client.create_listener(name, target)
            done.append(f"{name}: created listener {created['uid']}")
        else:
            done.append(f"{name}: listener {found['uid']} already there")
    return done


@hookimpl
def close_shop(shop: AbicartShop) -> None:
    shop.locations.clear()


__all__ = ["PLATFORM", "AbicartConnection", "AbicartError", "AbicartShop"]
