"""Abicart / Textalk Webshop (JSON-RPC 2.0) as a shop platform: the adapter's hook implementations.

Choices where the domain has no Abicart counterpart (``adapters/abicart/README.md`` says which
wire forms are documented and which inferred):

- The shop's own settings come from ``Webshop.get`` (base currency, whether prices include VAT,
  default language), read when connecting, on every poll and on first need after a start; the
  base currency must be SEK (Abicart's own rule for its Specter integration).
- Events: EventListeners are hints (see :mod:`adapters.abicart.listeners`); orders, articles and
  customers are also polled by ``changed``, and each poll re-creates inactive listeners.
- A variant is the Article ``"{article uid}:{variant uid}"``; its stock is set on the
  ArticleVariant, its name and price come from the parent's choices.
- Specter's order number goes to the order's ``externalOrderNumber``, written only when it
  differs. Order statuses and tracking numbers as :mod:`adapters.abicart.order_status` says:
  cancelled is ``discarded``, completed is ``deliveryStatus = "sent"``, no other status can be
  set; the tracking numbers go into the order's admin note. Each is written only when the order
  does not show it already.
- An article Specter does not publish in the web shop is created as a ``draft``; an inactive
  article group is a hidden Articlegroup, found by name (in the shop's language) under its parent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

from adapters.abicart import decode, encode, listeners, order_status
from adapters.abicart.client import AbicartClient
from adapters.abicart.errors import INVALID_PARAMS, METHOD_NOT_FOUND, AbicartAccessError, AbicartError
from adapters.abicart.fake_shop import demo_shop, simulator
from gateway.adapter import InboundRequest, ItemResult, OrderStatusResult, Platform, hookimpl
from gateway.errors import PermanentError
from gateway.model import (
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

PRICE_FIELDS = frozenset({"price_ex_vat", "sale_price_ex_vat"})

PLATFORM = "abicart"
log = logging.getLogger("adapters.abicart")


class AbicartConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    webshop: int  # the shop id
    auth_token: str  # an API key (AuthToken) of that shop
    url: str = "https://admin.abicart.se/backend/jsonrpc/v1/"


def split_id(shop_id: str) -> tuple[int, int | None]:
    """(article uid, variant uid or None) of an adapter id: ``"12"`` or ``"12:34"``."""
    article, _, variant = shop_id.partition(":")
    try:
        return int(article), int(variant) if variant else None
    except ValueError:
        raise PermanentError(f"{shop_id!r} is not an Abicart article or variant id") from None


class AbicartShop:
    """One tenant's shop: its client, settings, inbound token, and three caches.

    Jobs of one tenant run concurrently on this object. The caches (the shop's settings,
    article number -> id, option uid -> name) are plain dicts without locks: two jobs missing
    the same entry both look it up and write the same answer, which costs a call and nothing
    else. An id that went stale is dropped when a write to it fails."""

    def __init__(self, tenant: Tenant, client: AbicartClient):
        self.tenant_id = tenant.id
        self.client = client
        self.settings: TenantSettings = tenant.settings
        self.inbound_token = tenant.inbound_token
        self.locations: dict[str, str] = {}  # article number -> "uid" or "uid:variant uid"
        self.option_names: dict[str, str] = {}
        self.info: decode.ShopInfo | None = None

    def __repr__(self) -> str:  # the client and token are secrets
        return f"AbicartShop(tenant={self.tenant_id!r}, webshop={self.client.webshop})"

    async def shop_info(self, fresh: bool = False) -> decode.ShopInfo:
        """The shop's own settings (``Webshop.get``), refused when its base currency is not SEK."""
        if self.info is None or fresh:
            try:
                data = await self.client.get_webshop()
            except AbicartError as exc:
                # Webshop.get is inferred: a shop without it is read with its money objects
                # only, and no price is written (the message says why).
                if isinstance(exc, AbicartAccessError) or exc.code not in (METHOD_NOT_FOUND, INVALID_PARAMS):
                    raise
                log.warning("tenant %s: %s; taking SEK and Swedish, VAT handling unknown", self.tenant_id, exc)
                data = {}
            info = decode.shop_info(data)
            decode.require_sek(info.base_currency, f"tenant {self.tenant_id!r}'s Abicart shop (its base currency)")
            self.info = info
        return self.info

    async def locate(self, numbers: list[str]) -> None:
        """Find where the given article numbers live (articles or variants), for the cache."""
        unknown = sorted({n for n in numbers if n and n not in self.locations})
        if not unknown:
            return
        for data in await self.client.articles_by_number(unknown):
            self.locations[str(data["articleNumber"])] = str(data["uid"])
        for data in await self.client.variants_by_number(unknown):
            self.locations[str(data["articleNumber"])] = f"{decode.uid_of(data.get('article'))}:{data['uid']}"

    async def names_of_options(self, parents: list[dict[str, Any]], variants: list[dict[str, Any]]) -> dict[str, str]:
        """Option uid -> name for the options these variants are made of: from the parents when
        they give names, else ``ArticleChoiceOption.get`` (each option once)."""
        language = (await self.shop_info()).default_language
        for parent in parents:
            self.option_names.update(decode.option_names(parent, language))
        missing = sorted({o for v in variants for o in decode.variant_options(v)} - set(self.option_names))
        for option in await asyncio.gather(*(self.client.choice_option(int(o)) for o in missing if o.isdigit())):
            if option is not None:
                self.option_names[str(option["uid"])] = decode.text(option.get("name"), language)
        return self.option_names

    async def sellable(self, page: list[dict[str, Any]]) -> list[Article]:
        """The Articles a page of Abicart articles stands for, variants fetched for those with
        choices."""
        info = await self.shop_info()
        with_choices = [int(d["uid"]) for d in page if d.get("choices")]
        variants = await self.client.variants_of(with_choices) if with_choices else []
        names = await self.names_of_options([d for d in page if d.get("choices")], variants)
        found: list[Article] = []
        for data in page:
            mine = [v for v in variants if decode.uid_of(v.get("article")) == str(data["uid"])]
            found += decode.articles(data, mine, info, names)
        return found


# --- Registration and inbound requests ------------------------------------------------------------


@hookimpl
def shop_platform() -> Platform:
    return Platform(name=PLATFORM, title="Abicart (Textalk Webshop)", connection=AbicartConnection,
                    secret_fields=("auth_token",), topics=tuple(listeners.EVENT_NAMES),
                    simulator=simulator, demo_shop=demo_shop, unpublished_products=True,
                    order_status_problem=order_status.status_problem)


@hookimpl
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> AbicartShop:
    connection = convert(tenant.shop, AbicartConnection)
    return AbicartShop(tenant, AbicartClient(connection.url, connection.webshop, connection.auth_token, http))


@hookimpl
def decode_shop_request(shop: AbicartShop, request: InboundRequest) -> list[ShopEvent]:
    return listeners.decode_request(request, shop.inbound_token)


@hookimpl
async def register_webhooks(shop: AbicartShop, url: str, topics: list[str]) -> list[str]:
    info = await shop.shop_info(fresh=True)  # connecting: the shop's settings as they are now
    done = await listeners.register(shop.client, url, shop.inbound_token, topics)
    stored = {True: "including VAT", False: "excluding VAT", None: "(not said: prices cannot be read)"}
    return [f"webshop {shop.client.webshop}: base currency {info.base_currency}, prices stored "
            f"{stored[info.price_stored_with_vat]}, language {info.default_language}", *done]


# --- Shop to gateway ------------------------------------------------------------------------------


@hookimpl
async def fetch_order(shop: AbicartShop, order_id: str) -> Order | None:
    info = await shop.shop_info()
    found = await shop.client.get_order(int(order_id))
    if found is None:
        return None
    data, items = found
    return decode.order(data, items, info, shop.settings.cash_on_delivery_methods)


@hookimpl
async def fetch_product(shop: AbicartShop, product_id: str) -> list[Article]:
    article_uid, _ = split_id(product_id)  # a variant stands for its whole article here
    data = await shop.client.get_article(article_uid)
    return [] if data is None else await shop.sellable([data])


@hookimpl
async def fetch_customer(shop: AbicartShop, customer_id: str) -> Customer | None:
    info = await shop.shop_info()
    data = await shop.client.get_customer(int(customer_id))
    return None if data is None else decode.customer(data, info.default_language)


@hookimpl
async def iter_products(shop: AbicartShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    async for page in shop.client.article_pages(page_size):
        yield await shop.sellable(page)


@hookimpl
async def iter_customers(shop: AbicartShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    info = await shop.shop_info()
    async for page in shop.client.customer_pages(page_size):
        yield [decode.customer(data, info.default_language) for data in page]


@hookimpl
async def changed_orders(shop: AbicartShop, since: dt.datetime) -> list[ShopEvent]:
    """Placed orders changed since ``since`` (carts are Orders too, and are left out). Each poll
    also reads the shop's settings afresh and re-creates listeners that went inactive."""
    await shop.shop_info(fresh=True)
    try:
        await listeners.revive(shop.client)
    except AbicartError as exc:  # a key without rights to listeners is still polled
        if not (isinstance(exc, AbicartAccessError) and exc.reason == "rights"):
            raise
        log.warning("tenant %s: listeners not checked: %s", shop.tenant_id, exc)
    return [
        ShopEvent(object="order", action="updated", object_id=str(data["uid"]),
                  payload={"changed": data.get("changed"), "found_by": "poll"},
                  dedupe_key=f"poll:order:{data['uid']}:{data.get('changed')}")
        async for page in shop.client.changed_orders(since)
        for data in page
        if data.get("ordered")
    ]


@hookimpl
async def changed_objects(shop: AbicartShop, since: dt.datetime) -> list[ShopEvent]:
    """Articles and customers changed since ``since``: Abicart documents no event for either."""
    found = [
        ShopEvent(object="product", action="updated", object_id=str(data["uid"]),
                  payload={"changed": data.get("changed"), "found_by": "poll"},
                  dedupe_key=f"poll:product:{data['uid']}:{data.get('changed')}")
        async for page in shop.client.changed_articles(since)
        for data in page
    ]
    return found + [
        ShopEvent(object="customer", action="updated", object_id=str(data["uid"]),
                  payload={"changed": data.get("changed"), "found_by": "poll"},
                  dedupe_key=f"poll:customer:{data['uid']}:{data.get('changed')}")
        async for page in shop.client.changed_customers(since)
        for data in page
    ]


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
        article_uid, variant_uid = split_id(place)
        try:
            if variant_uid is not None:
                await shop.client.set_variant(variant_uid, {"stock": level.available})
            else:
                await shop.client.set_article(article_uid, {"stock": {"stock": level.available}})
        except AbicartAccessError:
            raise  # the token or its rights: every level would fail alike, a person must act
        except AbicartError as exc:
            shop.locations.pop(level.article_no, None)  # deleted or moved: look it up again next time
            results.append(ItemResult(key=level.article_no, error=str(exc), shop_id=place))
            continue
        results.append(ItemResult(key=level.article_no, shop_id=place))
    return results


@hookimpl
async def find_product(shop: AbicartShop, article_no: str) -> str | None:
    if not article_no:
        return None
    await shop.locate([article_no])
    return shop.locations.get(article_no)


@hookimpl
async def upsert_category(shop: AbicartShop, group: ArticleGroup, active: bool) -> str:
    parent = await _group(shop, group.parent_code, None, True) if group.parent_code else None
    return await _group(shop, group.name or group.code, parent, active)


async def _group(shop: AbicartShop, name: str, parent: str | None, active: bool) -> str:
    language = (await shop.shop_info()).default_language
    parent_uid = int(parent) if parent else None
    for data in await shop.client.groups_under(parent_uid):
        if decode.text(data.get("name"), language) == name:
            return str(data["uid"])
    created = await shop.client.create_group({"name": {language: name}, "parent": parent_uid, "hidden": not active})
    return str(created["uid"])


@hookimpl
async def upsert_product(shop: AbicartShop, article: Article, category_id: str | None,
                         fields: frozenset[str]) -> str:
    info = await shop.shop_info()
    await shop.locate([article.article_no])
    place = shop.locations.get(article.article_no)
    if place is None:
        created = await shop.client.create_article(encode.new_article(article, category_id, info))
        shop.locations[article.article_no] = str(created["uid"])
        return str(created["uid"])
    article_uid, variant_uid = split_id(place)
    if variant_uid is not None:
        patch = encode.variant_patch(article, fields)
        if patch:
            await shop.client.set_variant(variant_uid, patch)
        return place
    if info.price_stored_with_vat and "vat_percent" not in fields and fields & PRICE_FIELDS:
        # Prices only: the article keeps the shop's own VAT rate, so the price it stores with VAT
        # is worked out at that rate; its price ex VAT, the one orders and Specter speak, is
        # Specter's.
        kept = await shop.client.get_article(article_uid, ["uid", "vatRate"]) or {}
        if kept.get("vatRate") is not None:
            article = msgspec.structs.replace(article, vat_percent=Decimal(str(kept["vatRate"])) * 100)
    patch = encode.article_patch(article, fields, info)
    if category_id:
        shown = await shop.client.get_article(article_uid, ["uid", "showInArticlegroups"]) or {}
        groups = [int(g) for g in shown.get("showInArticlegroups") or []]
        patch["articlegroup"] = int(category_id)
        patch["showInArticlegroups"] = groups if int(category_id) in groups else [*groups, int(category_id)]
    if patch:
        await shop.client.set_article(article_uid, patch)
    return place


@hookimpl
async def set_order_status(shop: AbicartShop, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult:
    """Only what the order does not show yet: every Order.set fires Order/changed."""
    current = await shop.client.order_status(int(order_id))
    if current is None:
        raise PermanentError(f"Abicart has no order {order_id} any more")
    patch: dict[str, Any] = {}
    not_set = ""
    if update.shop_status:
        problem = order_status.status_problem(update.shop_status)
        if problem:
            not_set = f"{update.shop_status}: {problem}"
        else:
            patch |= order_status.status_patch(current, update.shop_status)
    note = str(current.get("note") or "")
    new = order_status.unnoted(note, update.tracking_numbers)
    if new:
        patch["note"] = order_status.note_with(note, new, (await shop.shop_info()).default_language)
    if patch:
        await shop.client.set_order(int(order_id), patch)
    return OrderStatusResult(status=update.shop_status if patch.keys() - {"note"} else "", tracking_added=new,
                             not_set=not_set)


@hookimpl
async def set_specter_order_no(shop: AbicartShop, order_id: str, specter_order_no: str) -> None:
    await shop.client.set_order(int(order_id), {"externalOrderNumber": specter_order_no})


@hookimpl
def close_shop(shop: AbicartShop) -> None:
    shop.locations.clear()
    shop.option_names.clear()


__all__ = ["PLATFORM", "AbicartConnection", "AbicartShop"]
