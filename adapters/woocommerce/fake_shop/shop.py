"""The fake's behaviour over its state: the changes an admin, a shopper or the REST API makes,
each answering the webhook events it causes (delivered by :mod:`.webhooks`)."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from .resources import apply_product, check_status, merge_meta, order_json, product_json
from .state import STOCK_REDUCING, STOCK_RESTORING, Events, FakeState


class Shop:
    """The changes; each answers the events it causes, for :meth:`.webhooks.Webhooks.fire`."""

    def __init__(self, state: FakeState):
        self.state = state

    def create_product(self, fields: dict[str, Any], parent_id: int | None = None) -> dict[str, Any]:
        parent = self.state.products.get(parent_id) if parent_id else None
        p = product_json(self.state, self.state.new_id(), fields, parent)
        self.state.products[p["id"]] = p
        self.state.catalogue_changed()
        if parent is not None:
            parent["variations"].append(p["id"])
            parent["price"] = min((self.state.products[v]["price"] for v in parent["variations"]),
                                  key=lambda x: Decimal(x or "0"))
        return p

    def stock_changes(self, order: dict[str, Any], sign: int) -> Events:
        """Reduce (sign -1) or restore (+1) the stock an order holds; the product.updated echoes."""
        events: Events = []
        for line in order["line_items"]:
            product = self.state.products.get(line["variation_id"] or line["product_id"])
            if product and product["manage_stock"] is True and product["stock_quantity"] is not None:
                stock = product["stock_quantity"] + sign * line["quantity"]
                apply_product(self.state, product, {"stock_quantity": stock})
                events.append(("product.updated", product["id"]))
                if sign < 0:
                    line["meta_data"].append({"id": secrets.randbelow(10**6), "key": "_reduced_stock",
                                              "value": str(line["quantity"]), "display_key": "_reduced_stock",
                                              "display_value": str(line["quantity"])})
        order["_stock_reduced"] = sign < 0
        return events

    def create_order(self, fields: dict[str, Any], via: str = "rest-api") -> tuple[dict[str, Any], Events]:
        order = order_json(self.state, self.state.new_id(), fields, via)
        self.state.orders[order["id"]] = order
        events = [("order.created", order["id"]), ("order.updated", order["id"])]
        if order["status"] in STOCK_REDUCING:
            events += self.stock_changes(order, -1)
        return order, events

    def update_order(self, order: dict[str, Any], fields: dict[str, Any]) -> Events:
        events = [("order.updated", order["id"])]
        status = fields.get("status", order["status"])
        if "status" in fields:
            check_status(self.state, status)
        if fields.get("set_paid") and status == "pending":
            status = "processing"
        reduced = order.get("_stock_reduced", False)
        if status in STOCK_REDUCING and not reduced:
            events += self.stock_changes(order, -1)
        elif status in STOCK_RESTORING and status != order["status"] and reduced:
            events += self.stock_changes(order, +1)
        order["status"] = status
        if status == "completed" and not order["date_completed"]:
            order["date_completed"] = order["date_completed_gmt"] = self.state.now()
        if "meta_data" in fields:
            order["meta_data"] = merge_meta(fields["meta_data"], order["meta_data"])
        for key in ("customer_note", "transaction_id"):
            if key in fields:
                order[key] = fields[key]
        order["date_modified"] = order["date_modified_gmt"] = self.state.stamp(order["date_modified"])
        return events

