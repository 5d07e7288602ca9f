"""WooCommerce (REST API wc/v3) as a shop platform: the adapter's hook implementations.

Where the domain has no WooCommerce counterpart the choices are:

- Specter's order number goes into order meta (``_specter_order_no``); the leading "_" keeps it
  out of the customer's view.
- Order statuses and tracking numbers as :mod:`adapters.woocommerce.order_status` says: the
  tracking numbers in a customer note and in the meta shipment-tracking plugins read. An order
  is never trashed (the REST API cannot).
- WooCommerce categories have no hidden state (``display`` only picks what an archive page
  lists), so an inactive article group still gets an ordinary category; its products'
  visibility is the shop owner's to manage. Categories are found by name under their parent.
- A product created from Specter gets WooCommerce's own defaults (type simple, published), or
  ``status: "draft"`` when Specter does not publish the article in the web shop.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

from adapters.woocommerce import decode, order_status, subscriptions, taxes, webhooks
from adapters.woocommerce.client import WooCommerceClient, WooCommerceError
from adapters.woocommerce.fake_shop import demo_shop, simulator
from gateway.adapter import InboundRequest, ItemResult, OrderStatusResult, Platform, WebhookCheck, hookimpl
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

PLATFORM = "woocommerce"


class WooCommerceConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: str  # the site, e.g. https://shop.example.se/
    consumer_key: str
    consumer_secret: str
    webhook_secret: str = ""
    query_string_auth: bool = False  # for hosts that strip the Authorization header


class WooShop:
    """One tenant's shop: its API client, settings and the SKU → product id cache."""

    def __init__(self, tenant_id: str, connection: WooCommerceConnection, client: WooCommerceClient,
                 settings: TenantSettings):
        self.tenant_id = tenant_id
        self.connection = connection
        self.client = client
        self.settings = settings
        self.tax_rates = tax_rates(settings)
        # article number -> (product or variation id, parent id or None)
        self.locations: dict[str, tuple[str, str | None]] = {}

    @property
    def webhook_secret(self) -> str:
        return self.connection.webhook_secret

    def __repr__(self) -> str:  # the connection holds secrets
        return f"WooShop(tenant={self.tenant_id!r}, url={self.connection.url!r})"

    def remember(self, found: dict[str, Any]) -> None:
        parent = found.get("parent_id") if found.get("type") == "variation" else None
        self.locations[found["sku"]] = (str(found["id"]), str(parent) if parent else None)

    async def locate_many(self, article_nos: list[str]) -> None:
        """Look up the article numbers not yet known, 100 to a request (commas in a SKU would
        split it, so those are looked up one by one)."""
        unknown = [a for a in dict.fromkeys(article_nos) if a not in self.locations]
        plain = [a for a in unknown if "," not in a]
        for start in range(0, len(plain), 100):
            for found in await self.client.find_by_skus(plain[start:start + 100]):
                self.remember(found)
        for article_no in unknown:
            if "," in article_no:
                await self.locate(article_no)

    async def locate(self, article_no: str) -> tuple[str, str | None] | None:
        """Where an article number lives: a product, or a variation and its parent."""
        if article_no not in self.locations:
            found = await self.client.find_by_sku(article_no)
            if found is None:
                return None
            self.remember(found)
        return self.locations[article_no]


def tax_rates(settings: TenantSettings) -> dict[str, Decimal]:
    """Tax class -> VAT percent: the defaults, overridden by the tenant's VAT -> class map."""
    rates = dict(decode.DEFAULT_TAX_RATES)
    rates.update({tax_class: Decimal(pct) for pct, tax_class in settings.tax_classes.items()})
    return rates


def tax_class_for(shop: WooShop, vat_percent: Decimal) -> str | None:
    """The tax class for a VAT percent: the tenant's own choice first (``tax_classes``), then a
    class whose rate it is."""
    for chosen_pct, chosen in shop.settings.tax_classes.items():
        if Decimal(chosen_pct) == vat_percent:
            return chosen
    for tax_class, pct in shop.tax_rates.items():
        if pct == vat_percent:
            return tax_class
    return None


# --- Registration and inbound requests ------------------------------------------------------------


@hookimpl
def shop_platform() -> Platform:
    return Platform(
        name=PLATFORM,
        title="WooCommerce",
        connection=WooCommerceConnection,
        secret_fields=("consumer_secret", "webhook_secret"),
        topics=("order.created", "order.updated", "order.deleted", "product.created", "product.updated",
                "product.deleted", "customer.created", "customer.updated"),
        simulator=simulator,
        demo_shop=demo_shop,
        unpublished_products=True,
        order_status_problem=order_status.status_problem,
    )


@hookimpl
def open_shop(tenant: Tenant, http: aiohttp.ClientSession) -> WooShop:
    connection = convert(tenant.shop, WooCommerceConnection)
    return WooShop(tenant.id, connection, WooCommerceClient.from_connection(connection, http), tenant.settings)


@hookimpl
def decode_shop_request(shop: WooShop, request: InboundRequest) -> list[ShopEvent]:
    return webhooks.decode_request(request, shop.webhook_secret)


# --- Shop to gateway ------------------------------------------------------------------------------


@hookimpl
async def fetch_order(shop: WooShop, order_id: str) -> Order | None:
    data = await shop.client.get_order(order_id)
    if data is None:
        return None
    return decode.order(data, shop.tax_rates, shop.settings.cash_on_delivery_methods)


@hookimpl
async def fetch_product(shop: WooShop, product_id: str) -> list[Article]:
    found = await shop.client.get_product(product_id)
    if found is None:
        return []
    data, variations = found
    parent = None
    if data.get("type") == "variation" and data.get("parent_id"):
        parent = await shop.client.get_product(str(data["parent_id"]))
    if parent is not None:  # a variation fetched alone may be taxed "like its parent"
        return [decode.article(decode.product(data), decode.product(parent[0]), shop.tax_rates)]
    return decode.articles(data, variations, shop.tax_rates)


@hookimpl
async def changed_orders(shop: WooShop, since: dt.datetime) -> list[ShopEvent]:
    params = {"modified_after": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
              "dates_are_gmt": "true", "orderby": "modified", "order": "asc"}
    return [
        ShopEvent(object="order", action="updated", object_id=str(order["id"]),
                  payload={"status": order.get("status"), "found_by": "poll"},
                  dedupe_key=f"poll:order:{order['id']}:{order.get('date_modified_gmt')}")
        async for page in shop.client.pages("orders", params)
        for order in page
    ]


@hookimpl
async def fetch_customer(shop: WooShop, customer_id: str) -> Customer | None:
    data = await shop.client.get_customer(customer_id)
    return None if data is None else decode.customer(data)


@hookimpl
async def iter_products(shop: WooShop, page_size: int) -> AsyncGenerator[list[Article], None]:
    async for page in shop.client.product_pages(page_size):
        found: list[Article] = []
        for data in page:
            variations = await shop.client.get_variations(str(data["id"])) if data.get("type") == "variable" else []
            found += decode.articles(data, variations, shop.tax_rates)
        yield found


@hookimpl
async def iter_customers(shop: WooShop, page_size: int) -> AsyncGenerator[list[Customer], None]:
    async for page in shop.client.customer_pages(page_size):
        yield [decode.customer(data) for data in page]


# --- Specter to shop ------------------------------------------------------------------------------


@hookimpl
async def update_stock(shop: WooShop, levels: list[StockLevel]) -> list[ItemResult]:
    for level in levels:  # where the gateway's id map says it is: no look-up needed
        if level.shop_id and level.article_no not in shop.locations:
            shop.locations[level.article_no] = (level.shop_id, level.parent_shop_id or None)
    await shop.locate_many([level.article_no for level in levels])
    places = [shop.locations.get(level.article_no) for level in levels]
    results: dict[str, ItemResult] = {}
    batches: dict[str, list[dict[str, Any]]] = {}  # batch endpoint -> items
    owners: dict[tuple[str, str], str] = {}  # (endpoint, id) -> article number
    for level, place in zip(levels, places, strict=True):
        if place is None:
            results[level.article_no] = ItemResult(key=level.article_no,
                                                   error=f"no product with article number {level.article_no}")
            continue
        shop_id, parent = place
        # A variation can only be changed through its parent's variations/batch.
        endpoint = f"products/{parent}/variations/batch" if parent else "products/batch"
        batches.setdefault(endpoint, []).append(
            {"id": int(shop_id), "manage_stock": True, "stock_quantity": level.available})
        owners[(endpoint, shop_id)] = level.article_no
    for endpoint, items in batches.items():
        for outcome in await shop.client.batch_update(endpoint, items):
            article_no = owners[(endpoint, outcome.key)]
            if outcome.error and "invalid" in outcome.error:
                shop.locations.pop(article_no, None)  # deleted or moved: look it up again next time
            results[article_no] = ItemResult(key=article_no, error=outcome.error,
                                             transient=outcome.transient, shop_id=outcome.key)
    return [results[level.article_no] for level in levels]


@hookimpl
async def find_product(shop: WooShop, article_no: str) -> str | None:
    place = await shop.locate(article_no) if article_no else None
    return place[0] if place else None


@hookimpl
async def upsert_category(shop: WooShop, group: ArticleGroup, active: bool) -> str:
    # ``active`` has no WooCommerce counterpart; see the module docstring.
    parent = await shop.client.upsert_category(group.parent_code) if group.parent_code else 0
    return str(await shop.client.upsert_category(group.name or group.code, parent))


@hookimpl
async def upsert_product(shop: WooShop, article: Article, category_id: str | None,
                         fields: frozenset[str]) -> str:
    place = await shop.locate(article.article_no) if article.article_no else None
    if place is None:
        every = frozenset(Article.__struct_fields__)
        body = {"type": "simple", "sku": article.article_no, **product_fields(shop, article, every)}
        if article.published is False:
            body["status"] = "draft"
        if category_id:
            body["categories"] = [{"id": int(category_id)}]
        created = await shop.client.create_product(body)
        shop.locations[article.article_no] = (str(created["id"]), None)
        return str(created["id"])
    shop_id, parent = place
    body = product_fields(shop, article, fields)
    if parent:
        body.pop("name", None)  # a variation is named by its attributes
        await shop.client.update_variation(parent, shop_id, body)
    else:
        if category_id:
            body["categories"] = [{"id": int(category_id)}]
        await shop.client.update_product(shop_id, body)
    return shop_id


def product_fields(shop: WooShop, article: Article, fields: frozenset[str]) -> dict[str, Any]:
    """The WooCommerce product fields for the chosen :class:`Article` fields."""
    body: dict[str, Any] = {}
    if "name" in fields and article.name:
        body["name"] = article.name
    if "price_ex_vat" in fields and article.price_ex_vat is not None:
        body["regular_price"] = str(article.price_ex_vat)
    if "sale_price_ex_vat" in fields:
        body["sale_price"] = "" if article.sale_price_ex_vat is None else str(article.sale_price_ex_vat)
    if "vat_percent" in fields and article.vat_percent is not None:
        tax_class = tax_class_for(shop, article.vat_percent)
        if tax_class is not None:  # an unmapped rate leaves the shop's tax class alone
            body["tax_class"] = tax_class
    if "weight_kg" in fields and article.weight_kg is not None:
        body["weight"] = str(article.weight_kg)
    if "description" in fields and article.description:
        body["description"] = article.description
    if "short_description" in fields and article.short_description:
        body["short_description"] = article.short_description
    if "barcode" in fields and article.barcode:
        body["global_unique_id"] = article.barcode
    if "stock" in fields and article.stock is not None:
        body.update(manage_stock=True, stock_quantity=article.stock)
    return body


@hookimpl
async def set_order_status(shop: WooShop, order_id: str, update: OrderStatusUpdate) -> OrderStatusResult:
    """Only what the order does not show yet is written: every write comes back as order.updated,
    and Specter reports an order again on any change."""
    order = await shop.client.get_order(order_id)
    if order is None:
        raise PermanentError(f"WooCommerce has no order {order_id}")
    body: dict[str, Any] = {}
    not_set = ""
    if update.shop_status:
        problem = order_status.status_problem(update.shop_status)
        wanted = order_status.woo_status(update.shop_status)
        if problem:
            not_set = f"{update.shop_status}: {problem}"
        elif order.get("status") != wanted:
            body["status"] = wanted
    shown = order_status.shown_numbers(order)
    new = [number for number in dict.fromkeys(update.tracking_numbers) if number not in shown]
    if new:
        await tell_customer(shop, order_id, new)
        body["meta_data"] = order_status.tracking_meta(order, new, int(time.time()))
    try:
        if body:
            await shop.client.update_order(order_id, body)
    except WooCommerceError as exc:
        refused = (exc.data.get("params") or {}).get("status") if exc.code == "rest_invalid_param" else None
        if "status" not in body or not refused:
            raise
        # A plugin's status the shop does not have (the plugin is gone): the parcels still show.
        not_set = f"{body.pop('status')}: WooCommerce has no such order status ({refused})"
        if body:
            await shop.client.update_order(order_id, body)
    return OrderStatusResult(status=body.get("status", ""), tracking_added=new, not_set=not_set)


async def tell_customer(shop: WooShop, order_id: str, numbers: list[str]) -> None:
    """A customer note naming the parcels' tracking numbers, unless one names them already: it
    is written before the meta that marks them shown, so a retry after a failure in between
    finds the note instead of mailing the customer twice."""
    told = order_status.told_customer(await shop.client.order_notes(order_id), numbers)
    untold = [n for n in numbers if n not in told]
    if untold:
        await shop.client.add_order_note(order_id, order_status.note_text(untold, shop.settings.language),
                                         customer_note=True)


@hookimpl
async def set_specter_order_no(shop: WooShop, order_id: str, specter_order_no: str) -> None:
    await shop.client.update_order(order_id, {"meta_data": [{"key": "_specter_order_no", "value": specter_order_no}]})


@hookimpl
async def register_webhooks(shop: WooShop, url: str, topics: list[str]) -> list[str]:
    """One webhook per topic; an existing one for the same URL and topic is kept (and
    re-activated with the tenant's secret if WooCommerce disabled it after failures)."""
    done = await subscriptions.check(shop, url, topics, previous_url="", settings_changed=False)
    return [subscriptions.describe(check) for check in done]


@hookimpl
async def check_webhooks(shop: WooShop, url: str, topics: list[str], previous_url: str,
                         settings_changed: bool) -> list[WebhookCheck]:
    return await subscriptions.check(shop, url, topics, previous_url, settings_changed)


@hookimpl
async def remove_webhooks(shop: WooShop, urls: list[str]) -> list[str]:
    return await subscriptions.remove(shop, urls)


@hookimpl
async def check_tax_rates(shop: WooShop, vat_rates: list[Decimal]) -> list[str]:
    return await taxes.tax_rate_problems(shop, vat_rates, tax_class_for)


@hookimpl
def close_shop(shop: WooShop) -> None:
    shop.locations.clear()  # the HTTP session is the gateway's own


__all__ = ["PLATFORM", "WooCommerceConnection", "WooCommerceError", "WooShop"]
