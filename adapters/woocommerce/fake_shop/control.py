"""The control API (``/_control/…``) plays shopper, admin and a hostile network: create products,
customers and orders (firing webhooks), install a plugin's order status, misbehave
(``order.created`` twice, before its line items exist, for a checkout draft), answer 429, an
HTML challenge page or 500 for the next N requests, lose or repeat the next N webhook
deliveries, and show the state."""

from __future__ import annotations

import json
from decimal import Decimal

from aiohttp import web

from .api import product_or_404, read_body, shop_of, state_of, webhooks_of
from .handlers import create_customer
from .resources import apply_product, public, webhook_json
from .webhooks import DELIVERY_FAULTS
from .wire import json_number, json_response


async def control_state(request: web.Request) -> web.Response:
    state = state_of(request)
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
        "writes": state.writes,
        "order_notes": state.order_notes,
        "mails": state.mails,
    }, dumps=lambda o: json.dumps(o, default=json_number))


async def control_deliveries(request: web.Request) -> web.Response:
    """The delivery log, oldest first: every webhook delivery and ping with its answer's status
    (0: nobody answered), the shop's time, and the webhook's failure count and status after it;
    ``?webhook_id=N`` and ``?topic=order.created`` narrow it."""
    q = request.query
    found = [d for d in state_of(request).deliveries
             if ("webhook_id" not in q or str(d["webhook_id"]) == q["webhook_id"])
             and ("topic" not in q or d["topic"] == q["topic"])]
    return web.json_response(found)


async def control_stock_summary(request: web.Request) -> web.Response:
    """A cheap look at a large catalogue: how many products hold at least ``min`` in stock
    (default 1000), and how many batch requests were taken."""
    state, at_least = state_of(request), int(request.query.get("min", 1000))
    held = sum(1 for p in state.products.values() if (p["stock_quantity"] or 0) >= at_least)
    return web.json_response({"at_least": at_least, "products": held, "batch_requests": len(state.batch_sizes)})


async def control_faults(request: web.Request) -> web.Response:
    """``{"kind": "rate_limit" | "html" | "error500", "count": N}``: the next N API requests;
    ``{"kind": "lost_delivery" | "repeated_delivery", "count": N}``: the next N webhook deliveries
    (see :mod:`.webhooks`); ``{"kind": "latency", "ms": N}``: every API answer from now on takes N ms."""
    body = await read_body(request)
    kind = body.get("kind")
    if kind == "latency":
        state_of(request).latency_ms = int(body.get("ms", 0))
        return web.json_response({"latency_ms": state_of(request).latency_ms})
    if kind not in ("rate_limit", "html", "error500", *DELIVERY_FAULTS):
        return web.json_response({"error": f"kind must be one of rate_limit, html, error500, "
                                           f"{', '.join(DELIVERY_FAULTS)} or latency"}, status=400)
    state_of(request).faults[kind] = int(body.get("count", 1))
    return web.json_response(state_of(request).faults)


async def control_product(request: web.Request) -> web.Response:
    """An admin creates a product; ``variations`` (a list of variation fields) make it variable."""
    shop = shop_of(request)
    body = await read_body(request)
    variations = body.pop("variations", None)
    if variations:
        body["type"] = "variable"
    p = shop.create_product(body)
    events = [("product.created", p["id"])]
    for fields in variations or []:
        events.append(("product.created", shop.create_product(fields, p["id"])["id"]))
    await webhooks_of(request).fire(events)
    return json_response(p, 201)


async def control_bulk_products(request: web.Request) -> web.Response:
    """A catalogue imported into the shop at once (as a CSV import does, firing no webhooks):
    ``{"count": N, "prefix": "BULK-", "price": "99.00", "stock": 5}`` makes N simple products."""
    body = await read_body(request)
    shop, count = shop_of(request), int(body.get("count", 0))
    prefix, price, stock = body.get("prefix", "BULK-"), str(body.get("price", "99.00")), int(body.get("stock", 5))
    first = None
    for n in range(count):
        p = shop.create_product({"name": f"Produkt {prefix}{n}", "sku": f"{prefix}{n}", "regular_price": price,
                                 "manage_stock": True, "stock_quantity": stock, "weight": "0.25"})
        first = first or p["id"]
    return web.json_response({"created": count, "first_id": first})


async def control_update_product(request: web.Request) -> web.Response:
    p = product_or_404(request)
    apply_product(state_of(request), p, await read_body(request))
    await webhooks_of(request).fire([("product.updated", p["id"])])
    return json_response(p)


async def control_customer(request: web.Request) -> web.Response:
    return await create_customer(request)


async def control_order(request: web.Request) -> web.Response:
    """A shopper checks out. ``{"order": {...REST order fields...}, "created_twice": bool,
    "created_before_items": bool}``; a ``checkout-draft`` status is accepted like any other."""
    shop = shop_of(request)
    body = await read_body(request)
    order, events = shop.create_order(body.get("order", {}), via="checkout")
    bodies = {}
    if body.get("created_before_items"):
        # The created hook ran while the cart was still empty; a later GET has the items.
        bodies[("order.created", order["id"])] = {**public(order), "line_items": [], "total": "0.00"}
    await webhooks_of(request).fire(events, bodies)
    if body.get("created_twice"):
        await webhooks_of(request).fire([("order.created", order["id"])])
    return json_response(public(order), 201)


async def control_coupon(request: web.Request) -> web.Response:
    body = await read_body(request)
    state_of(request).coupons[body["code"]] = Decimal(str(body.get("percent", 10)))
    return web.json_response({"code": body["code"]})


async def control_clock(request: web.Request) -> web.Response:
    """``{"advance_s": N}``: the shop's clock jumps N seconds ahead (dates it writes from now on)."""
    state = state_of(request)
    state.clock_offset += float((await read_body(request)).get("advance_s", 0))
    return web.json_response({"now": state.now()})


async def control_order_status(request: web.Request) -> web.Response:
    """A plugin registers an order status: ``{"slug": "shipped"}`` (without ``wc-``)."""
    state = state_of(request)
    slug = str((await read_body(request)).get("slug", ""))
    if slug and slug not in state.order_statuses():
        state.plugin_statuses.append(slug)
    return web.json_response({"statuses": state.order_statuses()})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/_control/state", control_state)
    r.add_get("/_control/deliveries", control_deliveries)
    r.add_post("/_control/faults", control_faults)
    r.add_post("/_control/products", control_product)
    r.add_put("/_control/products/{id:\\d+}", control_update_product)
    r.add_post("/_control/products/bulk", control_bulk_products)
    r.add_get("/_control/stock-summary", control_stock_summary)
    r.add_post("/_control/customers", control_customer)
    r.add_post("/_control/orders", control_order)
    r.add_post("/_control/coupons", control_coupon)
    r.add_post("/_control/clock", control_clock)
    r.add_post("/_control/order-statuses", control_order_status)
