"""The core sync engine's event handlers, registered as an ordinary plugin."""

from __future__ import annotations

from gateway.adapter import hookimpl
from gateway.engine.customers import handle_customer_event
from gateway.engine.export import handle_export_event
from gateway.engine.orders import handle_order_event
from gateway.engine.products import handle_product_event


@hookimpl
def register_event_handlers(register):
    register("shop.order", handle_order_event)
    register("shop.customer", handle_customer_event)
    register("shop.product", handle_product_event)
    register("export.products", handle_export_event)
    register("export.customers", handle_export_event)
