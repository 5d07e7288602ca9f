"""A fake WooCommerce 9.2.5 shop (aiohttp.web) that behaves like the captured real one.

REST (``/wp-json/wc/v3/…``): products with variations (``?sku=`` finds both), categories
(``term_exists`` on a duplicate name), customers, orders (GET, POST, PUT, DELETE), webhooks and
the batch endpoints (at most 100 items, else 413; failing items inline in a 200 answer). Lists
carry ``X-WP-Total``, ``X-WP-TotalPages`` and ``Link``. Auth as the captures show: over plain
HTTP only OAuth 1.0a (Basic and query keys are anonymous, so 401); behind an HTTPS proxy
(``X-Forwarded-Proto: https``) Basic auth or query keys. Bodies are PHP ``json_encode`` style.

Webhooks fire in "sync mode", before the REST answer returns, with the captured headers and
signature: creating an order sends ``order.created`` and ``order.updated`` and a
``product.updated`` for each product whose stock it reduced; a delivery that fails seven times
in a row disables the webhook; a saved webhook is pinged (``webhook_id=N``) until a ping gets 200.

``/_control/…`` plays shopper, admin and a hostile network: create products, customers and
orders (firing webhooks), misbehave (``order.created`` twice, before its line items exist, for a
checkout draft), answer 429, an HTML challenge page or 500 for the next N requests, and show the
state. Run it with ``specter-gateway simulate woocommerce`` or :func:`start_fake_woocommerce`.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote, unquote, urlencode

import aiohttp
from aiohttp import web

from adapters.woocommerce import oauth

API = "/wp-json/wc/v3"
STATE: web.AppKey[FakeState] = web.AppKey("state")
SHOP: web.AppKey[Shop] = web.AppKey("shop")
VAT = Decimal(25)  # the captured shop's one rate, "Moms" 25 %, also on shipping
BATCH_LIMIT = 100
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
                  "checkout-draft", "trash")
STOCK_REDUCING = ("processing", "on-hold", "completed")
HTML_CHALLENGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                  "<body><h1>Checking your browser before accessing the shop.</h1></body></html>")
CENT = Decimal("0.01")


# --- Formats ----------------------------------------------------------------------------------


def php_json(obj: Any) -> str:
    """PHP json_encode output: ASCII with \\u escapes and escaped slashes."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=_number).replace("/", "\\/")


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # line_items[].price: a JSON number, 89 or 80.1
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def money2(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def trimmed(value: Decimal) -> str:
    """wc_format_decimal without padding: "37.7", "44.775"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def error(status: int, code: str, message: str, **data: Any) -> web.Response:
    return json_response({"code": code, "message": message, "data": {"status": status, **data}}, status)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=php_json(obj), status=status, headers=headers,
                        content_type="application/json", charset="UTF-8")


# --- State ------------------------------------------------------------------------------------


@dataclass
class Webhook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"
    failures: int = 0
    pending_delivery: bool = True
    created: str = field(default_factory=now)
    modified: str | None = None


@dataclass
class FakeState:
    consumer_key: str
    consumer_secret: str
    webhook_secret: str
    site: str = ""  # with a trailing slash, set when served
    next_id: int = 10
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    coupons: dict[str, Decimal] = field(default_factory=lambda: {"rabatt10": Decimal(10)})
    nonces: set[str] = field(default_factory=set)
    faults: dict[str, int] = field(default_factory=dict)  # "rate_limit" | "html" | "error500" -> count
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # every delivery and ping sent
    batch_sizes: list[int] = field(default_factory=list)  # items per accepted batch request
    sku_index: dict[str, int] = field(default_factory=dict)  # sku -> product id, as a database index
    latency_ms: int = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def by_sku(self, sku: str) -> dict[str, Any] | None:
        # The index is kept by apply_product, the only writer of "sku"; an entry whose product
        # is gone or renumbered since is simply not found.
        p = self.products.get(self.sku_index.get(sku, -1)) if sku else None
        return p if p is not None and p["sku"] == sku else None


# --- Resources --------------------------------------------------------------------------------


class InvalidRequest(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "data": {"status": status, **data}}

    @property
    def response(self) -> web.Response:
        return json_response(self.body, self.status)


def _check_int(body: dict[str, Any], key: str) -> None:
    value = body.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidRequest(400, "rest_invalid_param", f"Invalid parameter(s): {key}",
                             params={key: f"{key} is not of type integer."})


def product_json(state: FakeState, pid: int, fields: dict[str, Any], parent: dict[str, Any] | None) -> dict[str, Any]:
    stamp = now()
    variation = parent is not None
    p: dict[str, Any] = {
        "id": pid, "name": "", "slug": "", "permalink": f"{state.site}?p={pid}",
        "date_created": stamp, "date_created_gmt": stamp, "date_modified": stamp, "date_modified_gmt": stamp,
        "type": "variation" if variation else "simple", "status": "publish", "featured": False,
        "catalog_visibility": "visible", "description": "", "short_description": "", "sku": "", "price": "",
        "regular_price": "", "sale_price": "", "on_sale": False, "purchasable": True, "total_sales": 0,
        "virtual": False, "downloadable": False, "tax_status": "taxable", "tax_class": "parent" if variation else "",
        "manage_stock": False, "stock_quantity": None, "stock_status": "instock", "backorders": "no",
        "weight": "", "dimensions": {"length": "", "width": "", "height": ""}, "parent_id": parent["id"] if parent else 0,
        "categories": [], "tags": [], "images": [], "attributes": [], "variations": [], "grouped_products": [],
        "meta_data": [], "global_unique_id": "",
    }
    apply_product(state, p, fields)
    if variation:
        options = " - ".join(a.get("option", "") for a in p["attributes"])
        p["name"] = f"{parent['name']} - {options}" if options else parent["name"]
    p["slug"] = p["slug"] or p["name"].lower().replace(" ", "-")
    return p


def apply_product(state: FakeState, p: dict[str, Any], fields: dict[str, Any]) -> None:
    _check_int(fields, "stock_quantity")
    sku = fields.get("sku")
    if sku:
        other = state.by_sku(sku)
        if other is not None and other["id"] != p["id"]:
            raise InvalidRequest(400, "product_invalid_sku", "Invalid or duplicated SKU.",
                                 resource_id=other["id"], unique_sku=f"{sku}-1")
    for key in ("name", "type", "status", "description", "short_description", "sku", "regular_price", "sale_price",
                "tax_status", "tax_class", "manage_stock", "stock_quantity", "weight", "global_unique_id",
                "attributes", "meta_data"):
        if key in fields:
            p[key] = fields[key]
    if p["sku"]:
        state.sku_index[p["sku"]] = p["id"]
    if "categories" in fields:
        p["categories"] = [{"id": c["id"], "name": state.categories[c["id"]]["name"],
                            "slug": state.categories[c["id"]]["slug"]}
                           for c in fields["categories"] if c.get("id") in state.categories]
    p["price"] = p["sale_price"] or p["regular_price"]
    p["on_sale"] = bool(p["sale_price"])
    if p["manage_stock"] is True and p["stock_quantity"] is not None:
        p["stock_status"] = "instock" if p["stock_quantity"] > 0 else "outofstock"
    p["date_modified"] = p["date_modified_gmt"] = now()


def variation_view(p: dict[str, Any]) -> dict[str, Any]:
    """A variation as ``products/{id}/variations`` shows it: named by its options only."""
    view = {k: v for k, v in p.items() if k not in ("categories", "tags", "variations", "grouped_products", "slug")}
    view["name"] = " - ".join(a.get("option", "") for a in p["attributes"])
    return view


def address_json(fields: dict[str, Any] | None, with_email: bool) -> dict[str, str]:
    keys = ["first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country"]
    keys += ["email", "phone"] if with_email else ["phone"]
    return {k: str((fields or {}).get(k, "")) for k in keys}


def customer_json(state: FakeState, cid: int, fields: dict[str, Any]) -> dict[str, Any]:
    stamp = now()
    email = fields.get("email", "")
    if any(c["email"] == email for c in state.customers.values() if c["id"] != cid):
        raise InvalidRequest(400, "registration-error-email-exists",
                             'An account is already registered with your email address. '
                             '<a href="#" class="showlogin">Please log in.</a>')
    return {
        "id": cid, "date_created": stamp, "date_created_gmt": stamp, "date_modified": stamp,
        "date_modified_gmt": stamp, "email": email, "first_name": fields.get("first_name", ""),
        "last_name": fields.get("last_name", ""), "role": "customer", "username": email.split("@")[0],
        "billing": address_json(fields.get("billing"), True), "shipping": address_json(fields.get("shipping"), False),
        "is_paying_customer": False, "avatar_url": "", "meta_data": _meta(fields.get("meta_data", []), []),
    }


def _meta(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order/product meta_data update: same key replaces, new keys append with an id."""
    meta = [dict(m) for m in old]
    for item in new:
        same = next((m for m in meta if m["key"] == item["key"]), None)
        if same is not None:
            same["value"] = item.get("value")
        else:
            meta.append({"id": secrets.randbelow(10**6), "key": item["key"], "value": item.get("value")})
    return meta


def order_json(state: FakeState, oid: int, fields: dict[str, Any], via: str) -> dict[str, Any]:
    stamp = now()
    status = fields.get("status", "pending")
    if status not in ORDER_STATUSES:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): status",
                             params={"status": "status is not one of " + ", ".join(ORDER_STATUSES) + "."})
    percent = sum((state.coupons.get(c.get("code", ""), Decimal(0)) for c in fields.get("coupon_lines", [])),
                  Decimal(0))
    rate = VAT / 100
    lines, coupons_total, coupons_tax, line_tax = [], Decimal(0), Decimal(0), Decimal(0)
    for n, item in enumerate(fields.get("line_items", []), start=1):
        variation_id = item.get("variation_id") or 0
        product = state.products.get(variation_id or item.get("product_id", 0))
        if product is None:
            raise InvalidRequest(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
        qty = int(item.get("quantity", 1))
        subtotal = Decimal(product["price"] or "0") * qty
        total = (subtotal * (1 - percent / 100)).quantize(CENT, ROUND_HALF_UP)
        coupons_total += subtotal - total
        coupons_tax += ((subtotal - total) * rate).quantize(CENT, ROUND_HALF_UP)
        line_tax += (total * rate).quantize(CENT, ROUND_HALF_UP)
        meta = [{"id": n * 10 + 9, "key": a["name"].lower(), "value": a["option"], "display_key": a["name"],
                 "display_value": a["option"]} for a in product["attributes"] if "option" in a]
        lines.append({
            "id": n, "name": product["name"], "product_id": product["parent_id"] or product["id"],
            "variation_id": variation_id, "quantity": qty, "tax_class": "", "subtotal": money2(subtotal),
            "subtotal_tax": money2(subtotal * rate), "total": money2(total), "total_tax": money2(total * rate),
            "taxes": [{"id": 1, "total": trimmed(total * rate), "subtotal": trimmed(subtotal * rate)}],
            "meta_data": meta, "sku": product["sku"], "price": total / qty, "image": {"id": "", "src": ""},
            "parent_name": state.products[product["parent_id"]]["name"] if product["parent_id"] else None,
        })
    shipping = [{"id": 100 + n, "method_title": s.get("method_title", ""), "method_id": s.get("method_id", ""),
                 "instance_id": str(s.get("instance_id", "")), "total": money2(Decimal(s.get("total", "0"))),
                 "total_tax": money2(Decimal(s.get("total", "0")) * rate),
                 "taxes": [{"id": 1, "total": money2(Decimal(s.get("total", "0")) * rate), "subtotal": ""}],
                 "meta_data": []} for n, s in enumerate(fields.get("shipping_lines", []))]
    fees = [{"id": 200 + n, "name": f.get("name", ""), "tax_class": "", "tax_status": "taxable", "amount": "",
             "total": money2(Decimal(f.get("total", "0"))), "total_tax": money2(Decimal(f.get("total", "0")) * rate),
             "taxes": [{"id": 1, "total": money2(Decimal(f.get("total", "0")) * rate), "subtotal": ""}],
             "meta_data": []} for n, f in enumerate(fields.get("fee_lines", []))]
    coupons = [{"id": 300 + n, "code": c["code"], "discount": trimmed(coupons_total), "discount_tax": money2(coupons_tax),
                "meta_data": [], "discount_type": "percent", "nominal_amount": int(state.coupons.get(c["code"], 0)),
                "free_shipping": False} for n, c in enumerate(fields.get("coupon_lines", []))]
    shipping_total = sum((Decimal(s["total"]) for s in shipping), Decimal(0))
    shipping_tax = sum((Decimal(s["total_tax"]) for s in shipping), Decimal(0))
    fee_tax = sum((Decimal(f["total_tax"]) for f in fees), Decimal(0))
    cart_tax = line_tax + fee_tax
    total = (sum((Decimal(x["total"]) for x in lines + fees), Decimal(0)) + shipping_total + cart_tax + shipping_tax)
    paid = stamp if status in STOCK_REDUCING or fields.get("set_paid") else None
    return {
        "id": oid, "parent_id": 0, "status": status, "currency": "SEK", "version": "9.2.5",
        "prices_include_tax": False, "date_created": stamp, "date_modified": stamp,
        "discount_total": money2(coupons_total), "discount_tax": money2(coupons_tax),
        "shipping_total": money2(shipping_total), "shipping_tax": money2(shipping_tax), "cart_tax": money2(cart_tax),
        "total": money2(total), "total_tax": money2(cart_tax + shipping_tax), "customer_id": fields.get("customer_id", 0),
        "order_key": f"wc_order_{secrets.token_hex(6)}", "billing": address_json(fields.get("billing"), True),
        "shipping": address_json(fields.get("shipping"), False), "payment_method": fields.get("payment_method", ""),
        "payment_method_title": fields.get("payment_method_title", ""),
        "transaction_id": fields.get("transaction_id", ""), "customer_ip_address": "", "customer_user_agent": "",
        "created_via": via, "customer_note": fields.get("customer_note", ""), "date_completed": None,
        "date_paid": paid, "cart_hash": "", "number": str(oid), "meta_data": _meta(fields.get("meta_data", []), []),
        "line_items": lines, "tax_lines": [{"id": 400, "rate_code": "MOMS-1", "rate_id": 1, "label": "Moms",
                                            "compound": False, "tax_total": money2(cart_tax),
                                            "shipping_tax_total": money2(shipping_tax), "rate_percent": int(VAT),
                                            "meta_data": []}] if lines else [],
        "shipping_lines": shipping, "fee_lines": fees, "coupon_lines": coupons, "refunds": [],
        "payment_url": f"{state.site}checkout/order-pay/{oid}/", "is_editable": status in ("pending", "on-hold"),
        "needs_payment": status == "pending", "needs_processing": True, "date_created_gmt": stamp,
        "date_modified_gmt": stamp, "date_completed_gmt": None, "date_paid_gmt": paid, "currency_symbol": "kr",
    }


# --- Webhook deliveries -----------------------------------------------------------------------


class Shop:
    """The fake's behaviour over its state: changes, and the webhooks they fire."""

    def __init__(self, state: FakeState):
        self.state = state
        self.http: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession()
        return self.http

    def body_for(self, topic: str, resource_id: int) -> dict[str, Any]:
        resource, _, event = topic.partition(".")
        if event == "deleted":
            return {"id": resource_id}
        source = {"order": self.state.orders, "product": self.state.products, "customer": self.state.customers}
        return source[resource].get(resource_id, {"id": resource_id})

    async def fire(self, events: list[tuple[str, int]], bodies: dict[tuple[str, int], Any] | None = None) -> None:
        """Deliver each (topic, id) once per webhook, like ``WC_Webhook::$processed`` does
        within one request; the body is built when it is sent."""
        seen: set[tuple[int, str, int]] = set()
        for topic, resource_id in events:
            for hook in list(self.state.webhooks.values()):
                if hook.topic != topic or hook.status != "active" or (hook.id, topic, resource_id) in seen:
                    continue
                seen.add((hook.id, topic, resource_id))
                body = (bodies or {}).get((topic, resource_id)) or self.body_for(topic, resource_id)
                await self.deliver(hook, topic, body)

    async def deliver(self, hook: Webhook, topic: str, body: Any) -> int:
        raw = php_json(body).encode()
        resource, _, event = topic.partition(".")
        headers = {
            "User-Agent": "WooCommerce/9.2.5 Hookshot (WordPress/6.6)",
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": self.state.site,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": base64.b64encode(hmac.new(hook.secret.encode(), raw, hashlib.sha256).digest()).decode(),
            "X-WC-Webhook-ID": str(hook.id),
            "X-WC-Webhook-Delivery-ID": secrets.token_hex(16),
        }
        status = await self._post(hook.delivery_url, raw, headers)
        self.state.deliveries.append({"webhook_id": hook.id, "topic": topic, "id": body.get("id"), "status": status})
        if 200 <= status < 300 or status in (301, 302):
            hook.failures = 0
        else:
            # WC_Webhook::failed_delivery: disabled once failures > 5, and saving re-pings.
            if hook.failures > 5:
                hook.status = "disabled"
            else:
                hook.failures += 1
            await self.save_webhook(hook)
        return status

    async def save_webhook(self, hook: Webhook) -> None:
        hook.modified = now()
        if hook.pending_delivery:
            status = await self._post(hook.delivery_url, f"webhook_id={hook.id}".encode(),
                                      {"User-Agent": "WooCommerce/9.2.5 Hookshot (WordPress/6.6)",
                                       "Content-Type": "application/x-www-form-urlencoded"})
            self.state.deliveries.append({"webhook_id": hook.id, "topic": "ping", "id": hook.id, "status": status})
            hook.pending_delivery = status != 200

    async def _post(self, url: str, raw: bytes, headers: dict[str, str]) -> int:
        try:
            async with self.session().post(url, data=raw, headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
                return resp.status
        except (TimeoutError, aiohttp.ClientError):
            return 0

    # --- Changes that fire webhooks ---

    def create_product(self, fields: dict[str, Any], parent_id: int | None = None) -> dict[str, Any]:
        parent = self.state.products.get(parent_id) if parent_id else None
        p = product_json(self.state, self.state.new_id(), fields, parent)
        self.state.products[p["id"]] = p
        if parent is not None:
            parent["variations"].append(p["id"])
            parent["price"] = min((self.state.products[v]["price"] for v in parent["variations"]),
                                  key=lambda x: Decimal(x or "0"))
        return p

    def stock_changes(self, order: dict[str, Any], sign: int) -> list[tuple[str, int]]:
        """Reduce (sign -1) or restore (+1) the stock an order holds; the product.updated echoes."""
        events = []
        for line in order["line_items"]:
            product = self.state.products.get(line["variation_id"] or line["product_id"])
            if product and product["manage_stock"] is True and product["stock_quantity"] is not None:
                apply_product(self.state, product, {"stock_quantity": product["stock_quantity"] + sign * line["quantity"]})
                events.append(("product.updated", product["id"]))
                if sign < 0:
                    line["meta_data"].append({"id": secrets.randbelow(10**6), "key": "_reduced_stock",
                                              "value": str(line["quantity"]), "display_key": "_reduced_stock",
                                              "display_value": str(line["quantity"])})
        order["_stock_reduced"] = sign < 0
        return events

    def create_order(self, fields: dict[str, Any], via: str = "rest-api") -> tuple[dict[str, Any], list[tuple[str, int]]]:
        order = order_json(self.state, self.state.new_id(), fields, via)
        self.state.orders[order["id"]] = order
        events = [("order.created", order["id"]), ("order.updated", order["id"])]
        if order["status"] in STOCK_REDUCING:
            events += self.stock_changes(order, -1)
        return order, events

    def update_order(self, order: dict[str, Any], fields: dict[str, Any]) -> list[tuple[str, int]]:
        events = [("order.updated", order["id"])]
        status = fields.get("status", order["status"])
        if status not in ORDER_STATUSES:
            raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): status",
                                 params={"status": "status is not one of " + ", ".join(ORDER_STATUSES) + "."})
        if fields.get("set_paid") and status == "pending":
            status = "processing"
        reduced = order.get("_stock_reduced", False)
        if status in STOCK_REDUCING and not reduced:
            events += self.stock_changes(order, -1)
        elif status in ("cancelled", "refunded", "failed") and reduced:
            events += self.stock_changes(order, +1)
        order["status"] = status
        if status == "completed" and not order["date_completed"]:
            order["date_completed"] = order["date_completed_gmt"] = now()
        if "meta_data" in fields:
            order["meta_data"] = _meta(fields["meta_data"], order["meta_data"])
        for key in ("customer_note", "transaction_id"):
            if key in fields:
                order[key] = fields[key]
        order["date_modified"] = order["date_modified_gmt"] = now()
        return events


def public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_stock")}


def webhook_json(state: FakeState, hook: Webhook) -> dict[str, Any]:
    resource, _, event = hook.topic.partition(".")
    return {"id": hook.id, "name": hook.name, "status": hook.status, "topic": hook.topic, "resource": resource,
            "event": event, "hooks": [], "delivery_url": hook.delivery_url, "date_created": hook.created,
            "date_created_gmt": hook.created, "date_modified": hook.modified, "date_modified_gmt": hook.modified}


# --- HTTP -------------------------------------------------------------------------------------


def _is_ssl(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def authenticate(state: FakeState, request: web.Request) -> web.Response | None:
    """None when the request is authenticated, else the 401 WooCommerce answers."""
    anonymous = error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    if _is_ssl(request):
        key = secret = None
        if request.headers.get("Authorization", "").startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
            except ValueError:
                return anonymous
        elif "consumer_key" in request.query:
            key, secret = request.query["consumer_key"], request.query.get("consumer_secret", "")
        if key != state.consumer_key:
            return anonymous
        if not hmac.compare_digest(secret or "", state.consumer_secret):
            return error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return None
    params = dict(request.query)
    header = request.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        for part in header[6:].split(","):
            k, _, v = part.strip().partition("=")
            params[k] = unquote(v.strip('"'))
    if "oauth_consumer_key" not in params:
        return anonymous  # Basic auth and query keys are never tried without SSL
    bad = lambda message: error(401, "woocommerce_rest_authentication_error", message)  # noqa: E731
    if params["oauth_consumer_key"] != state.consumer_key:
        return bad("Consumer key is invalid.")
    method = params.get("oauth_signature_method", "")
    if method not in oauth.ALGORITHMS:
        return bad("Invalid signature method - must be one of HMAC-SHA1, HMAC-SHA256")
    url = f"{request.scheme}://{request.host}{request.path}"
    expected = oauth.signature(request.method, url, params, state.consumer_secret, method)
    if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
        return bad("Invalid signature - provided signature does not match.")
    try:
        stamp = int(params.get("oauth_timestamp", ""))
    except ValueError:
        return bad("Invalid timestamp.")
    if abs(time.time() - stamp) > 15 * 60:
        return bad("Invalid timestamp.")
    nonce = params.get("oauth_nonce", "")
    if nonce in state.nonces:
        return bad("Invalid nonce - nonce has already been used.")
    state.nonces.add(nonce)
    return None


def build_app(consumer_key: str = "ck_fake", consumer_secret: str = "cs_fake",
              webhook_secret: str = "fake-webhook-secret", state: FakeState | None = None) -> web.Application:
    state = state or FakeState(consumer_key, consumer_secret, webhook_secret)
    shop = Shop(state)
    app = web.Application(middlewares=[_faults, _wc_errors])
    app[STATE], app[SHOP] = state, shop
    r = app.router
    r.add_get(f"{API}/products", list_products)
    r.add_post(f"{API}/products", create_product)
    r.add_post(f"{API}/products/batch", batch_products)
    r.add_get(f"{API}/products/categories", list_categories)
    r.add_post(f"{API}/products/categories", create_category)
    r.add_put(f"{API}/products/categories/{{id:\\d+}}", update_category)
    r.add_get(f"{API}/products/{{id:\\d+}}", get_product)
    r.add_put(f"{API}/products/{{id:\\d+}}", update_product)
    r.add_delete(f"{API}/products/{{id:\\d+}}", delete_product)
    r.add_get(f"{API}/products/{{id:\\d+}}/variations", list_variations)
    r.add_post(f"{API}/products/{{id:\\d+}}/variations", create_variation)
    r.add_post(f"{API}/products/{{id:\\d+}}/variations/batch", batch_variations)
    r.add_get(f"{API}/products/{{id:\\d+}}/variations/{{vid:\\d+}}", get_variation)
    r.add_put(f"{API}/products/{{id:\\d+}}/variations/{{vid:\\d+}}", update_variation)
    r.add_get(f"{API}/customers", list_customers)
    r.add_post(f"{API}/customers", create_customer)
    r.add_get(f"{API}/customers/{{id:\\d+}}", get_customer)
    r.add_put(f"{API}/customers/{{id:\\d+}}", update_customer)
    r.add_get(f"{API}/orders", list_orders)
    r.add_post(f"{API}/orders", create_order)
    r.add_get(f"{API}/orders/{{id:\\d+}}", get_order)
    r.add_put(f"{API}/orders/{{id:\\d+}}", update_order)
    r.add_delete(f"{API}/orders/{{id:\\d+}}", delete_order)
    r.add_get(f"{API}/webhooks", list_webhooks)
    r.add_post(f"{API}/webhooks", create_webhook)
    r.add_get(f"{API}/webhooks/{{id:\\d+}}", get_webhook)
    r.add_put(f"{API}/webhooks/{{id:\\d+}}", update_webhook)
    r.add_delete(f"{API}/webhooks/{{id:\\d+}}", delete_webhook)
    r.add_get("/_control/state", control_state)
    r.add_post("/_control/faults", control_faults)
    r.add_post("/_control/products", control_product)
    r.add_put("/_control/products/{id:\\d+}", control_update_product)
    r.add_post("/_control/products/bulk", control_bulk_products)
    r.add_get("/_control/stock-summary", control_stock_summary)
    r.add_post("/_control/customers", control_customer)
    r.add_post("/_control/orders", control_order)
    r.add_post("/_control/coupons", control_coupon)
    app.on_cleanup.append(_close_session)
    return app


async def _close_session(app: web.Application) -> None:
    if app[SHOP].http is not None:
        await app[SHOP].http.close()


@web.middleware
async def _faults(request: web.Request, handler: Any) -> web.StreamResponse:
    """The host and firewall in front of the shop: 429, a challenge page or 500 on demand."""
    state: FakeState = request.app[STATE]
    if request.path.startswith("/wp-json/"):
        for kind in ("rate_limit", "html", "error500"):
            if state.faults.get(kind, 0) > 0:
                state.faults[kind] -= 1
                if kind == "rate_limit":
                    return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
                if kind == "html":
                    return web.Response(status=403, text=HTML_CHALLENGE, content_type="text/html")
                return web.Response(status=500, text="<html><body>Internal Server Error</body></html>",
                                    content_type="text/html")
        if not state.site:
            state.site = f"{request.scheme}://{request.host}/"
        if state.latency_ms:  # a busy host: every API answer takes this long
            await asyncio.sleep(state.latency_ms / 1000)
        if request.path.startswith("/wp-json/wc/"):
            refused = authenticate(state, request)
            if refused is not None:
                return refused
    return await handler(request)


@web.middleware
async def _wc_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except InvalidRequest as exc:
        return exc.response


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except ValueError:
        raise InvalidRequest(400, "rest_invalid_json", "Invalid JSON body passed.") from None
    return body if isinstance(body, dict) else {}


def _state(request: web.Request) -> FakeState:
    return request.app[STATE]


def _shop(request: web.Request) -> Shop:
    return request.app[SHOP]


def _paged(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    q = request.query
    try:
        per_page, page = int(q.get("per_page", 10)), int(q.get("page", 1))
    except ValueError:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): per_page") from None
    if not 1 <= per_page <= 100:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): per_page",
                             params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"})
    reverse = q.get("order", "desc") == "desc"
    items = sorted(items, key=lambda x: x["id"], reverse=reverse)
    total = len(items)
    pages = max(1, -(-total // per_page)) if total else 0
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages),
               "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link"}
    links = []
    base = f"{request.scheme}://{request.host}{request.path}"
    for rel, number in (("prev", page - 1), ("next", page + 1)):
        if 1 <= number <= pages:
            links.append(f"<{base}?{urlencode({**q, 'page': str(number)}, quote_via=quote)}>; rel=\"{rel}\"")
    if links:
        headers["Link"] = ", ".join(links)
    return json_response(items[(page - 1) * per_page: page * per_page], headers=headers)


def _product_or_404(request: web.Request, key: str = "id", status: int = 404) -> dict[str, Any]:
    p = _state(request).products.get(int(request.match_info[key]))
    if p is None or p["status"] == "trash":
        raise InvalidRequest(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    return p


# Products


async def list_products(request: web.Request) -> web.Response:
    q, state = request.query, _state(request)
    if "sku" in q:  # finds variations too, as the real shop does (by index, as its database does)
        found = (state.by_sku(sku) for sku in q["sku"].split(","))
        products = [p for p in found if p is not None and p["status"] != "trash"]
    else:
        products = [p for p in state.products.values() if p["status"] != "trash" and p["type"] != "variation"]
    if "type" in q:
        products = [p for p in products if p["type"] == q["type"]]
    return _paged(request, products)


async def create_product(request: web.Request) -> web.Response:
    shop = _shop(request)
    p = shop.create_product(await _body(request))
    await shop.fire([("product.created", p["id"])])
    return json_response(p, 201)


async def get_product(request: web.Request) -> web.Response:
    return json_response(_product_or_404(request))


async def update_product(request: web.Request) -> web.Response:
    p = _product_or_404(request, status=400)
    if p["type"] == "variation":
        raise InvalidRequest(404, "woocommerce_rest_invalid_product_id",
                             "To manipulate product variations you should use the "
                             "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.")
    apply_product(_state(request), p, await _body(request))
    await _shop(request).fire([("product.updated", p["id"])])
    return json_response(p)


async def delete_product(request: web.Request) -> web.Response:
    state, p = _state(request), _product_or_404(request)
    before = dict(p)
    if request.query.get("force") == "true":
        del state.products[p["id"]]  # a permanent delete fires nothing
    else:
        p["status"] = "trash"
        await _shop(request).fire([("product.deleted", p["id"])])
    return json_response(before)


async def list_variations(request: web.Request) -> web.Response:
    parent = _product_or_404(request)
    state = _state(request)
    return _paged(request, [variation_view(state.products[v]) for v in parent["variations"] if v in state.products])


def _variation_or_404(request: web.Request) -> dict[str, Any]:
    v = _state(request).products.get(int(request.match_info["vid"]))
    if v is None or v["parent_id"] != int(request.match_info["id"]):
        raise InvalidRequest(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
    return v


async def create_variation(request: web.Request) -> web.Response:
    parent = _product_or_404(request)
    shop = _shop(request)
    v = shop.create_product(await _body(request), parent["id"])
    await shop.fire([("product.created", v["id"])])
    return json_response(variation_view(v), 201)


async def get_variation(request: web.Request) -> web.Response:
    return json_response(variation_view(_variation_or_404(request)))


async def update_variation(request: web.Request) -> web.Response:
    v = _variation_or_404(request)
    apply_product(_state(request), v, await _body(request))
    await _shop(request).fire([("product.updated", v["id"])])
    return json_response(variation_view(v))


async def _batch(request: web.Request, parent: dict[str, Any] | None) -> web.Response:
    state, shop = _state(request), _shop(request)
    body = await _body(request)
    creates, updates, deletes = body.get("create", []), body.get("update", []), body.get("delete", [])
    if len(creates) + len(updates) + len(deletes) > BATCH_LIMIT:
        return error(413, "woocommerce_rest_request_entity_too_large",
                     f"Unable to accept more than {BATCH_LIMIT} items for this request.")
    state.batch_sizes.append(len(creates) + len(updates) + len(deletes))
    bad_id = ("woocommerce_rest_product_variation_invalid_id" if parent else "woocommerce_rest_product_invalid_id")
    answer: dict[str, list[Any]] = {}
    events: list[tuple[str, int]] = []

    def failed(item_id: int, exc: InvalidRequest) -> dict[str, Any]:
        return {"id": item_id, "error": exc.body}

    if creates:
        answer["create"] = []
        for fields in creates:
            try:
                p = shop.create_product(fields, parent["id"] if parent else None)
                events.append(("product.created", p["id"]))
                answer["create"].append(variation_view(p) if parent else p)
            except InvalidRequest as exc:
                answer["create"].append(failed(0, exc))
    if updates:
        answer["update"] = []
        for fields in updates:
            item_id = fields.get("id", 0)
            p = state.products.get(item_id)
            try:
                if p is None or (parent and p["parent_id"] != parent["id"]):
                    raise InvalidRequest(400, bad_id, "Invalid ID.")
                if not parent and p["type"] == "variation":
                    raise InvalidRequest(404, "woocommerce_rest_invalid_product_id",
                                         "To manipulate product variations you should use the "
                                         "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.")
                apply_product(state, p, {k: v for k, v in fields.items() if k != "id"})
                events.append(("product.updated", p["id"]))
                answer["update"].append(variation_view(p) if parent else p)
            except InvalidRequest as exc:
                answer["update"].append(failed(item_id, exc))
    if deletes:
        answer["delete"] = []
        for item_id in deletes:
            p = state.products.pop(item_id, None)
            answer["delete"].append(p if p else failed(item_id, InvalidRequest(404, bad_id, "Invalid ID.")))
    await shop.fire(events)
    return json_response(answer)


async def batch_products(request: web.Request) -> web.Response:
    return await _batch(request, None)


async def batch_variations(request: web.Request) -> web.Response:
    return await _batch(request, _product_or_404(request))


# Categories


async def list_categories(request: web.Request) -> web.Response:
    return _paged(request, list(_state(request).categories.values()))


async def create_category(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _body(request)
    name, parent = str(body.get("name", "")).strip(), int(body.get("parent", 0) or 0)
    if not name:
        raise InvalidRequest(400, "rest_missing_callback_param", "Missing parameter(s): name", params=["name"])
    same = next((c for c in state.categories.values() if c["name"] == name and c["parent"] == parent), None)
    if same is not None:
        raise InvalidRequest(400, "term_exists", "A term with the name provided already exists with this parent.",
                             resource_id=same["id"])
    cid = state.new_id()
    state.categories[cid] = {"id": cid, "name": name, "slug": body.get("slug") or name.lower().replace(" ", "-"),
                             "parent": parent, "description": body.get("description", ""),
                             "display": body.get("display", "default"), "image": None, "menu_order": 0, "count": 0}
    return json_response(state.categories[cid], 201)


async def update_category(request: web.Request) -> web.Response:
    category = _state(request).categories.get(int(request.match_info["id"]))
    if category is None:
        raise InvalidRequest(404, "woocommerce_rest_term_invalid", "Resource does not exist.")
    body = await _body(request)
    category.update({k: v for k, v in body.items() if k in ("name", "slug", "parent", "description", "display")})
    return json_response(category)


# Customers


async def list_customers(request: web.Request) -> web.Response:
    customers = list(_state(request).customers.values())
    if "email" in request.query:
        customers = [c for c in customers if c["email"] == request.query["email"]]
    return _paged(request, customers)


async def create_customer(request: web.Request) -> web.Response:
    state, shop = _state(request), _shop(request)
    c = customer_json(state, state.new_id(), await _body(request))
    state.customers[c["id"]] = c
    await shop.fire([("customer.created", c["id"]), ("customer.updated", c["id"])])
    return json_response(c, 201)


def _customer_or_404(request: web.Request) -> dict[str, Any]:
    c = _state(request).customers.get(int(request.match_info["id"]))
    if c is None:
        raise InvalidRequest(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
    return c


async def get_customer(request: web.Request) -> web.Response:
    return json_response(_customer_or_404(request))


async def update_customer(request: web.Request) -> web.Response:
    c = _customer_or_404(request)
    body = await _body(request)
    for key in ("first_name", "last_name", "email"):
        if key in body:
            c[key] = body[key]
    for key in ("billing", "shipping"):
        if key in body:
            c[key].update({k: str(v) for k, v in body[key].items() if k in c[key]})
    c["date_modified"] = c["date_modified_gmt"] = now()
    await _shop(request).fire([("customer.updated", c["id"])])
    return json_response(c)


# Orders


def _order_or_404(request: web.Request) -> dict[str, Any]:
    o = _state(request).orders.get(int(request.match_info["id"]))
    if o is None:
        raise InvalidRequest(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    return o


async def list_orders(request: web.Request) -> web.Response:
    q = request.query
    orders = [o for o in _state(request).orders.values() if o["status"] not in ("trash", "checkout-draft")]
    if "status" in q:
        orders = [o for o in orders if o["status"] in q["status"].split(",")]
    if "modified_after" in q:
        orders = [o for o in orders if o["date_modified_gmt"] > q["modified_after"][:19]]
    return _paged(request, [public(o) for o in orders])


async def create_order(request: web.Request) -> web.Response:
    shop = _shop(request)
    order, events = shop.create_order(await _body(request))
    await shop.fire(events)
    return json_response(public(order), 201)


async def get_order(request: web.Request) -> web.Response:
    return json_response(public(_order_or_404(request)))


async def update_order(request: web.Request) -> web.Response:
    order, shop = _order_or_404(request), _shop(request)
    events = shop.update_order(order, await _body(request))
    await shop.fire(events)
    return json_response(public(order))


async def delete_order(request: web.Request) -> web.Response:
    state, order = _state(request), _order_or_404(request)
    before = public(dict(order))
    if request.query.get("force") == "true":
        del state.orders[order["id"]]  # a permanent delete fires nothing
    else:
        order["status"] = "trash"
        await _shop(request).fire([("order.deleted", order["id"])])
    return json_response(before)


# Webhooks


def _webhook_or_404(request: web.Request) -> Webhook:
    hook = _state(request).webhooks.get(int(request.match_info["id"]))
    if hook is None:
        raise InvalidRequest(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
    return hook


async def list_webhooks(request: web.Request) -> web.Response:
    state = _state(request)
    return _paged(request, [webhook_json(state, h) for h in state.webhooks.values()])


async def create_webhook(request: web.Request) -> web.Response:
    state, shop = _state(request), _shop(request)
    body = await _body(request)
    topic = body.get("topic", "")
    if topic.partition(".")[0] not in ("order", "product", "customer", "coupon") or not body.get("delivery_url"):
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): topic")
    hook = Webhook(id=state.new_id(), name=body.get("name", ""), topic=topic, delivery_url=body["delivery_url"],
                   secret=body.get("secret") or state.webhook_secret, status=body.get("status", "active"))
    state.webhooks[hook.id] = hook
    await shop.save_webhook(hook)
    return json_response(webhook_json(state, hook), 201)


async def get_webhook(request: web.Request) -> web.Response:
    return json_response(webhook_json(_state(request), _webhook_or_404(request)))


async def update_webhook(request: web.Request) -> web.Response:
    hook = _webhook_or_404(request)
    body = await _body(request)
    for key in ("name", "status", "delivery_url", "secret", "topic"):
        if key in body:
            setattr(hook, key, body[key])  # re-activating keeps the failure count, as WooCommerce does
    await _shop(request).save_webhook(hook)
    return json_response(webhook_json(_state(request), hook))


async def delete_webhook(request: web.Request) -> web.Response:
    state, hook = _state(request), _webhook_or_404(request)
    del state.webhooks[hook.id]
    return json_response(webhook_json(state, hook))


# Control API


async def control_state(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response({
        "products": [public(p) for p in state.products.values()],
        "categories": list(state.categories.values()),
        "customers": list(state.customers.values()),
        "orders": [public(o) for o in state.orders.values()],
        "webhooks": [{**webhook_json(state, h), "failure_count": h.failures, "pending_delivery": h.pending_delivery}
                     for h in state.webhooks.values()],
        "deliveries": state.deliveries,
        "batch_sizes": state.batch_sizes,
        "faults": state.faults,
    }, dumps=lambda o: json.dumps(o, default=_number))


async def control_stock_summary(request: web.Request) -> web.Response:
    """A cheap look at a large catalogue: how many products hold at least ``min`` in stock
    (default 1000), and how many batch requests were taken."""
    state, at_least = _state(request), int(request.query.get("min", 1000))
    held = sum(1 for p in state.products.values() if (p["stock_quantity"] or 0) >= at_least)
    return web.json_response({"at_least": at_least, "products": held, "batch_requests": len(state.batch_sizes)})


async def control_faults(request: web.Request) -> web.Response:
    """``{"kind": "rate_limit" | "html" | "error500", "count": N}``: the next N API requests;
    ``{"kind": "latency", "ms": N}``: every API answer from now on takes N ms."""
    body = await _body(request)
    kind = body.get("kind")
    if kind == "latency":
        _state(request).latency_ms = int(body.get("ms", 0))
        return web.json_response({"latency_ms": _state(request).latency_ms})
    if kind not in ("rate_limit", "html", "error500"):
        return web.json_response({"error": "kind must be rate_limit, html or error500"}, status=400)
    _state(request).faults[kind] = int(body.get("count", 1))
    return web.json_response(_state(request).faults)


async def control_product(request: web.Request) -> web.Response:
    """An admin creates a product; ``variations`` (a list of variation fields) make it variable."""
    shop = _shop(request)
    body = await _body(request)
    variations = body.pop("variations", None)
    if variations:
        body["type"] = "variable"
    p = shop.create_product(body)
    events = [("product.created", p["id"])]
    for fields in variations or []:
        events.append(("product.created", shop.create_product(fields, p["id"])["id"]))
    await shop.fire(events)
    return json_response(p, 201)


async def control_bulk_products(request: web.Request) -> web.Response:
    """A catalogue imported into the shop at once (as a CSV import does, firing no webhooks):
    ``{"count": N, "prefix": "BULK-", "price": "99.00", "stock": 5}`` makes N simple products."""
    body = await _body(request)
    shop, count = _shop(request), int(body.get("count", 0))
    prefix, price, stock = body.get("prefix", "BULK-"), str(body.get("price", "99.00")), int(body.get("stock", 5))
    first = None
    for n in range(count):
        p = shop.create_product({"name": f"Produkt {prefix}{n}", "sku": f"{prefix}{n}", "regular_price": price,
                                 "manage_stock": True, "stock_quantity": stock, "weight": "0.25"})
        first = first or p["id"]
    return web.json_response({"created": count, "first_id": first})


async def control_update_product(request: web.Request) -> web.Response:
    p = _product_or_404(request)
    apply_product(_state(request), p, await _body(request))
    await _shop(request).fire([("product.updated", p["id"])])
    return json_response(p)


async def control_customer(request: web.Request) -> web.Response:
    return await create_customer(request)


async def control_order(request: web.Request) -> web.Response:
    """A shopper checks out. ``{"order": {...REST order fields...}, "created_twice": bool,
    "created_before_items": bool}``; a ``checkout-draft`` status is accepted like any other."""
    shop = _shop(request)
    body = await _body(request)
    order, events = shop.create_order(body.get("order", {}), via="checkout")
    bodies = {}
    if body.get("created_before_items"):
        # The created hook ran while the cart was still empty; a later GET has the items.
        bodies[("order.created", order["id"])] = {**public(order), "line_items": [], "total": "0.00"}
    await shop.fire(events, bodies)
    if body.get("created_twice"):
        await shop.fire([("order.created", order["id"])])
    return json_response(public(order), 201)


async def control_coupon(request: web.Request) -> web.Response:
    body = await _body(request)
    _state(request).coupons[body["code"]] = Decimal(str(body.get("percent", 10)))
    return web.json_response({"code": body["code"]})


# --- Running it -------------------------------------------------------------------------------


@dataclass
class RunningFakeShop:
    url: str  # the site, ending with "/"
    state: FakeState
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_fake_woocommerce(host: str = "127.0.0.1", port: int = 0, consumer_key: str = "ck_fake",
                                 consumer_secret: str = "cs_fake",
                                 webhook_secret: str = "fake-webhook-secret") -> RunningFakeShop:
    app = build_app(consumer_key, consumer_secret, webhook_secret)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    state = app[STATE]
    state.site = f"http://{host}:{bound}/"
    return RunningFakeShop(state.site, state, runner)


def run(host: str = "127.0.0.1", port: int = 8890, consumer_key: str = "ck_fake", consumer_secret: str = "cs_fake",
        webhook_secret: str = "fake-webhook-secret") -> None:
    """Serve the fake shop until interrupted (``specter-gateway simulate woocommerce``)."""
    print(f"Fake WooCommerce on http://{host}:{port}/ (consumer key {consumer_key})")
    web.run_app(build_app(consumer_key, consumer_secret, webhook_secret), host=host, port=port, print=None)
