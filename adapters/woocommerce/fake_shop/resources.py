"""Products, customers, orders and webhooks as the REST API shows them: built from a request's
fields, with WooCommerce's validation errors and its order arithmetic (25 % VAT, percent
coupons, rounding per line)."""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .state import STOCK_REDUCING, VAT, FakeState, Webhook
from .wire import CENT, InvalidRequest, money2, trimmed


def _check_int(body: dict[str, Any], key: str) -> None:
    value = body.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidRequest(400, "rest_invalid_param", f"Invalid parameter(s): {key}",
                             params={key: f"{key} is not of type integer."})


def product_json(state: FakeState, pid: int, fields: dict[str, Any], parent: dict[str, Any] | None) -> dict[str, Any]:
    stamp = state.now()
    variation = parent is not None
    p: dict[str, Any] = {
        "id": pid, "name": "", "slug": "", "permalink": f"{state.site}?p={pid}",
        "date_created": stamp, "date_created_gmt": stamp, "date_modified": None, "date_modified_gmt": None,
        "type": "variation" if variation else "simple", "status": "publish", "featured": False,
        "catalog_visibility": "visible", "description": "", "short_description": "", "sku": "", "price": "",
        "regular_price": "", "sale_price": "", "on_sale": False, "purchasable": True, "total_sales": 0,
        "virtual": False, "downloadable": False, "tax_status": "taxable", "tax_class": "parent" if variation else "",
        "manage_stock": False, "stock_quantity": None, "stock_status": "instock", "backorders": "no",
        "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
        "parent_id": parent["id"] if parent else 0,
        "categories": [], "tags": [], "images": [], "attributes": [], "variations": [], "grouped_products": [],
        "meta_data": [], "global_unique_id": "",
    }
    apply_product(state, p, fields)
    if parent is not None:
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
    if "status" in fields or "type" in fields:  # may move it in or out of the product list
        state.catalogue_changed()
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
    p["date_modified"] = p["date_modified_gmt"] = state.stamp(p["date_modified"])


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
    stamp = state.now()
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
        "is_paying_customer": False, "avatar_url": "", "meta_data": merge_meta(fields.get("meta_data", []), []),
    }


def merge_meta(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order/product meta_data update: same key replaces, new keys append with an id."""
    meta = [dict(m) for m in old]
    for item in new:
        same = next((m for m in meta if m["key"] == item["key"]), None)
        if same is not None:
            same["value"] = item.get("value")
        else:
            meta.append({"id": secrets.randbelow(10**6), "key": item["key"], "value": item.get("value")})
    return meta


def check_status(state: FakeState, status: Any) -> None:
    """The REST API's enum check of an order's ``status``, answered as the captured 400 is."""
    allowed = state.order_statuses()
    if status not in allowed:
        message = f"status is not one of {', '.join(allowed[:-1])}, and {allowed[-1]}."
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): status", params={"status": message},
                             details={"status": {"code": "rest_not_in_enum", "message": message, "data": None}})


def order_json(state: FakeState, oid: int, fields: dict[str, Any], via: str) -> dict[str, Any]:
    stamp = state.now()
    status = fields.get("status", "pending")
    check_status(state, status)
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
    coupons = [{"id": 300 + n, "code": c["code"], "discount": trimmed(coupons_total),
                "discount_tax": money2(coupons_tax),
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
        "total": money2(total), "total_tax": money2(cart_tax + shipping_tax),
        "customer_id": fields.get("customer_id", 0),
        "order_key": f"wc_order_{secrets.token_hex(6)}", "billing": address_json(fields.get("billing"), True),
        "shipping": address_json(fields.get("shipping"), False), "payment_method": fields.get("payment_method", ""),
        "payment_method_title": fields.get("payment_method_title", ""),
        "transaction_id": fields.get("transaction_id", ""), "customer_ip_address": "", "customer_user_agent": "",
        "created_via": via, "customer_note": fields.get("customer_note", ""), "date_completed": None,
        "date_paid": paid, "cart_hash": "", "number": str(oid),
        "meta_data": merge_meta(fields.get("meta_data", []), []),
        "line_items": lines, "tax_lines": [{"id": 400, "rate_code": "MOMS-1", "rate_id": 1, "label": "Moms",
                                            "compound": False, "tax_total": money2(cart_tax),
                                            "shipping_tax_total": money2(shipping_tax), "rate_percent": int(VAT),
                                            "meta_data": []}] if lines else [],
        "shipping_lines": shipping, "fee_lines": fees, "coupon_lines": coupons, "refunds": [],
        "payment_url": f"{state.site}checkout/order-pay/{oid}/", "is_editable": status in ("pending", "on-hold"),
        "needs_payment": status == "pending", "needs_processing": True, "date_created_gmt": stamp,
        "date_modified_gmt": stamp, "date_completed_gmt": None, "date_paid_gmt": paid, "currency_symbol": "kr",
    }


def public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_stock")}


def webhook_json(state: FakeState, hook: Webhook) -> dict[str, Any]:
    resource, _, event = hook.topic.partition(".")
    return {"id": hook.id, "name": hook.name, "status": hook.status, "topic": hook.topic, "resource": resource,
            "event": event, "hooks": [], "delivery_url": hook.delivery_url, "date_created": hook.created,
            "date_created_gmt": hook.created, "date_modified": hook.modified, "date_modified_gmt": hook.modified}

