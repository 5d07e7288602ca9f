"""The core sync engine's event handlers, registered as an ordinary plugin."""

from __future__ import annotations

from gateway.adapter import hookimpl
from gateway.engine.customers import handle_customer_event
from gateway.engine.export import handle_export_event
from gateway.engine.orders import handle_order_event
from gateway.engine.products import handle_product_event
from gateway.engine.shop_push import push_articles, push_orders, push_stock, resync_stock
from gateway.engine.specter_pull import (
    import_products,
    invoice_created,
    order_removed,
    pull_articles,
    pull_orders,
    pull_stock,
)


@hookimpl
def register_event_handlers(register):
    register("shop.order", handle_order_event)
    register("shop.customer", handle_customer_event)
    register("shop.product", handle_product_event)
    register("export.products", handle_export_event)
    register("export.customers", handle_export_event)
    # Specter to shop: an account's callbacks (or the poller) start a pull ...
    register("specter.stock", pull_stock)
    register("specter.article", pull_articles)
    register("specter.order", pull_orders)
    register("specter.remove-order", order_removed)
    register("specter.invoice", invoice_created)
    # ... whose results reach each shop of the account by jobs of their own.
    register("stock.push", push_stock)
    register("articles.push", push_articles)
    register("orders.push", push_orders)
    register("stock.resync", resync_stock)
    register("import.products", import_products)
