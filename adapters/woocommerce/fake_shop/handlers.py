"""The REST API (``/wp-json/wc/v3/…``): products with variations (``?sku=`` finds both),
categories (``term_exists`` on a duplicate name), customers, orders (GET, POST, PUT, DELETE),
webhooks and the batch endpoints (at most 100 items, else 413; failing items inline in a 200
answer). Changes fire their webhooks before the answer returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from .api import paged, product_or_404, read_body, shop_of, state_of, webhooks_of
from .resources import apply_product, customer_json, public, variation_view, webhook_json
from .state import BATCH_LIMIT, Events, Webhook
from .wire import InvalidRequest, error, json_response

# Products


async def list_products(request: web.Request) -> web.Response:
    q, state = request.query, state_of(request)
    if "sku" in q:  # finds variations too, as the real shop does (by index, as its database does)
        found = (state.by_sku(sku) for sku in q["sku"].split(","))
        products = [p for p in found if p is not None and p["status"] != "trash"]
    else:
        products = state.catalogue()
    if "type" in q:
        products = [p for p in products if p["type"] == q["type"]]
    return paged(request, products, in_id_order="sku" not in q)


async def create_product(request: web.Request) -> web.Response:
    shop = shop_of(request)
    p = shop.create_product(await read_body(request))
    await webhooks_of(request).fire([("product.created", p["id"])])
    return json_response(p, 201)


async def get_product(request: web.Request) -> web.Response:
    return json_response(product_or_404(request))


async def update_product(request: web.Request) -> web.Response:
    p = product_or_404(request, status=400)
    if p["type"] == "variation":
        raise InvalidRequest(404, "woocommerce_rest_invalid_product_id",
                             "To manipulate product variations you should use the "
                             "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.")
    apply_product(state_of(request), p, await read_body(request))
    await webhooks_of(request).fire([("product.updated", p["id"])])
    return json_response(p)


async def delete_product(request: web.Request) -> web.Response:
    state, p = state_of(request), product_or_404(request)
    before = dict(p)
    if request.query.get("force") == "true":
        del state.products[p["id"]]  # a permanent delete fires nothing
        state.catalogue_changed()
    else:
        p["status"] = "trash"
        state.catalogue_changed()
        await webhooks_of(request).fire([("product.deleted", p["id"])])
    return json_response(before)


async def list_variations(request: web.Request) -> web.Response:
    parent = product_or_404(request)
    state = state_of(request)
    return paged(request, [variation_view(state.products[v]) for v in parent["variations"] if v in state.products])


def _variation_or_404(request: web.Request) -> dict[str, Any]:
    v = state_of(request).products.get(int(request.match_info["vid"]))
    if v is None or v["parent_id"] != int(request.match_info["id"]):
        raise InvalidRequest(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
    return v


async def create_variation(request: web.Request) -> web.Response:
    parent = product_or_404(request)
    shop = shop_of(request)
    v = shop.create_product(await read_body(request), parent["id"])
    await webhooks_of(request).fire([("product.created", v["id"])])
    return json_response(variation_view(v), 201)


async def get_variation(request: web.Request) -> web.Response:
    return json_response(variation_view(_variation_or_404(request)))


async def update_variation(request: web.Request) -> web.Response:
    v = _variation_or_404(request)
    apply_product(state_of(request), v, await read_body(request))
    await webhooks_of(request).fire([("product.updated", v["id"])])
    return json_response(variation_view(v))


async def _batch(request: web.Request, parent: dict[str, Any] | None) -> web.Response:
    state, shop = state_of(request), shop_of(request)
    body = await read_body(request)
    creates, updates, deletes = body.get("create", []), body.get("update", []), body.get("delete", [])
    if len(creates) + len(updates) + len(deletes) > BATCH_LIMIT:
        return error(413, "woocommerce_rest_request_entity_too_large",
                     f"Unable to accept more than {BATCH_LIMIT} items for this request.")
    state.batch_sizes.append(len(creates) + len(updates) + len(deletes))
    bad_id = ("woocommerce_rest_product_variation_invalid_id" if parent else "woocommerce_rest_product_invalid_id")
    answer: dict[str, list[Any]] = {}
    events: Events = []

    def failed(item_id: int, exc: InvalidRequest) -> dict[str, Any]:
        return {"id": item_id, "error": exc.body}

    if creates:
        answer["create"] = []
        for fields in creates:
            try:
                created = shop.create_product(fields, parent["id"] if parent else None)
                events.append(("product.created", created["id"]))
                answer["create"].append(variation_view(created) if parent else created)
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
            deleted = state.products.pop(item_id, None)
            state.catalogue_changed()
            answer["delete"].append(deleted or failed(item_id, InvalidRequest(404, bad_id, "Invalid ID.")))
    await webhooks_of(request).fire(events)
    return json_response(answer)


async def batch_products(request: web.Request) -> web.Response:
    return await _batch(request, None)


async def batch_variations(request: web.Request) -> web.Response:
    return await _batch(request, product_or_404(request))


# Categories


async def list_categories(request: web.Request) -> web.Response:
    return paged(request, list(state_of(request).categories.values()))


async def create_category(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_body(request)
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
    category = state_of(request).categories.get(int(request.match_info["id"]))
    if category is None:
        raise InvalidRequest(404, "woocommerce_rest_term_invalid", "Resource does not exist.")
    body = await read_body(request)
    category.update({k: v for k, v in body.items() if k in ("name", "slug", "parent", "description", "display")})
    return json_response(category)


# Customers


async def list_customers(request: web.Request) -> web.Response:
    customers = list(state_of(request).customers.values())
    if "email" in request.query:
        customers = [c for c in customers if c["email"] == request.query["email"]]
    return paged(request, customers)


async def create_customer(request: web.Request) -> web.Response:
    state = state_of(request)
    c = customer_json(state, state.new_id(), await read_body(request))
    state.customers[c["id"]] = c
    await webhooks_of(request).fire([("customer.created", c["id"]), ("customer.updated", c["id"])])
    return json_response(c, 201)


def _customer_or_404(request: web.Request) -> dict[str, Any]:
    c = state_of(request).customers.get(int(request.match_info["id"]))
    if c is None:
        raise InvalidRequest(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
    return c


async def get_customer(request: web.Request) -> web.Response:
    return json_response(_customer_or_404(request))


async def update_customer(request: web.Request) -> web.Response:
    c = _customer_or_404(request)
    body = await read_body(request)
    for key in ("first_name", "last_name", "email"):
        if key in body:
            c[key] = body[key]
    for key in ("billing", "shipping"):
        if key in body:
            c[key].update({k: str(v) for k, v in body[key].items() if k in c[key]})
    c["date_modified"] = c["date_modified_gmt"] = state_of(request).stamp(c["date_modified"])
    await webhooks_of(request).fire([("customer.updated", c["id"])])
    return json_response(c)


# Orders


def _order_or_404(request: web.Request) -> dict[str, Any]:
    o = state_of(request).orders.get(int(request.match_info["id"]))
    if o is None:
        raise InvalidRequest(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    return o


async def list_orders(request: web.Request) -> web.Response:
    q = request.query
    orders = [o for o in state_of(request).orders.values() if o["status"] not in ("trash", "checkout-draft")]
    if "status" in q:
        orders = [o for o in orders if o["status"] in q["status"].split(",")]
    if "modified_after" in q:
        orders = [o for o in orders if o["date_modified_gmt"] > q["modified_after"][:19]]
    return paged(request, [public(o) for o in orders])


async def create_order(request: web.Request) -> web.Response:
    shop = shop_of(request)
    order, events = shop.create_order(await read_body(request))
    await webhooks_of(request).fire(events)
    return json_response(public(order), 201)


async def get_order(request: web.Request) -> web.Response:
    return json_response(public(_order_or_404(request)))


async def update_order(request: web.Request) -> web.Response:
    order, shop = _order_or_404(request), shop_of(request)
    events = shop.update_order(order, await read_body(request))
    await webhooks_of(request).fire(events)
    return json_response(public(order))


async def list_order_notes(request: web.Request) -> web.Response:
    order = _order_or_404(request)
    notes = state_of(request).order_notes.get(order["id"], [])
    return json_response(list(reversed(notes)))  # newest first, unpaged, as the shop answers


def _rest_boolean(body: dict[str, Any], key: str) -> bool:
    """A boolean parameter as WordPress's REST API takes it: true/false, 0/1, or those as strings."""
    value = body.get(key, False)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    raise InvalidRequest(400, "rest_invalid_param", f"Invalid parameter(s): {key}",
                         params={key: f"{key} is not of type boolean."})


async def create_order_note(request: web.Request) -> web.Response:
    """A note on the order, ``{"note", "customer_note"}``: no webhook fires (the captures: "POST
    order note → none"). The order itself is not saved (WooCommerce keeps a note as a comment of
    the order), so ``date_modified`` stays; the captures cannot tell, their clock ticking in whole
    seconds. A customer note is mailed to the customer."""
    state, order = state_of(request), _order_or_404(request)
    body = await read_body(request)
    text = str(body.get("note") or "")
    if not text:
        raise InvalidRequest(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
    for_customer = _rest_boolean(body, "customer_note")
    stamp = state.now()
    note = {"id": state.new_id(), "author": "WooCommerce", "date_created": stamp, "date_created_gmt": stamp,
            "note": text, "customer_note": for_customer}
    state.order_notes.setdefault(order["id"], []).append(note)
    if for_customer:
        state.mails.append({"to": order["billing"]["email"], "subject": "Note added to your order",
                            "order": order["id"], "text": text})
    return json_response(note, 201)


async def delete_order(request: web.Request) -> web.Response:
    state, order = state_of(request), _order_or_404(request)
    before = public(dict(order))
    if request.query.get("force") == "true":
        del state.orders[order["id"]]  # a permanent delete fires nothing
    else:
        order["status"] = "trash"
        await webhooks_of(request).fire([("order.deleted", order["id"])])
    return json_response(before)


# Webhooks


def _webhook_or_404(request: web.Request) -> Webhook:
    hook = state_of(request).webhooks.get(int(request.match_info["id"]))
    if hook is None:
        raise InvalidRequest(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
    return hook


async def list_webhooks(request: web.Request) -> web.Response:
    state = state_of(request)
    return paged(request, [webhook_json(state, h) for h in state.webhooks.values()])


async def create_webhook(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_body(request)
    topic = body.get("topic", "")
    if topic.partition(".")[0] not in ("order", "product", "customer", "coupon") or not body.get("delivery_url"):
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): topic")
    hook = Webhook(id=state.new_id(), name=body.get("name", ""), topic=topic, delivery_url=body["delivery_url"],
                   secret=body.get("secret") or state.webhook_secret, status=body.get("status", "active"),
                   created=state.now())
    state.webhooks[hook.id] = hook
    await webhooks_of(request).save_webhook(hook)
    return json_response(webhook_json(state, hook), 201)


async def get_webhook(request: web.Request) -> web.Response:
    return json_response(webhook_json(state_of(request), _webhook_or_404(request)))


async def update_webhook(request: web.Request) -> web.Response:
    hook = _webhook_or_404(request)
    body = await read_body(request)
    for key in ("name", "status", "delivery_url", "secret", "topic"):
        if key in body:
            setattr(hook, key, body[key])  # re-activating keeps the failure count, as WooCommerce does
    await webhooks_of(request).save_webhook(hook)
    return json_response(webhook_json(state_of(request), hook))


async def delete_webhook(request: web.Request) -> web.Response:
    """Webhooks cannot be trashed: only ``force=true`` deletes one (WC_REST_Webhooks_Controller)."""
    state, hook = state_of(request), _webhook_or_404(request)
    if request.query.get("force") not in ("true", "1"):
        raise InvalidRequest(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
    del state.webhooks[hook.id]
    return json_response(webhook_json(state, hook))


# --- Taxes (WooCommerce › Settings › Tax) ---------------------------------------------------------

TAX_RATE_FIELDS = ("country", "state", "postcode", "city", "rate", "name", "priority", "compound", "shipping", "order",
                   "class")


async def list_tax_rates(request: web.Request) -> web.Response:
    """``GET taxes``: every rate, or one class's (``?class=reduced-rate``), as the capture shows them."""
    state = state_of(request)
    wanted = request.query.get("class")
    found = [dict(r) for r in state.tax_rates.values() if wanted is None or r["class"] == wanted]
    return paged(request, found)


async def create_tax_rate(request: web.Request) -> web.Response:
    """``POST taxes``: a rate in a class that exists; ``rate`` a percent as text ("12.0000")."""
    state = state_of(request)
    body = await read_body(request)
    unknown = sorted(set(body) - set(TAX_RATE_FIELDS))
    if unknown:
        raise InvalidRequest(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(unknown)}")
    tax_class = body.get("class", "standard")
    if tax_class not in {c["slug"] for c in state.tax_classes}:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): class")
    try:
        rate = Decimal(str(body.get("rate", "0")))
    except ArithmeticError:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): rate") from None
    created = {"id": state.new_id(), "country": str(body.get("country", "")).upper(), "state": body.get("state", ""),
               "postcode": body.get("postcode", ""), "city": body.get("city", ""), "rate": f"{rate:.4f}",
               "name": body.get("name", ""), "priority": int(body.get("priority", 1)),
               "compound": bool(body.get("compound", False)), "shipping": bool(body.get("shipping", True)),
               "order": int(body.get("order", 0)), "class": tax_class, "postcodes": [], "cities": []}
    state.tax_rates[created["id"]] = created
    return json_response(created, 201)


async def list_tax_classes(request: web.Request) -> web.Response:
    """``GET taxes/classes``: one unpaged list of ``{slug, name}``."""
    return json_response([dict(c) for c in state_of(request).tax_classes])
