"""The core sync engine's event handlers, registered as an ordinary plugin."""

from __future__ import annotations

from gateway import events
from gateway.adapter import hookimpl
from gateway.engine.customers import handle_customer_event
from gateway.engine.export import handle_export_event
from gateway.engine.order_status import push_orders
from gateway.engine.orders import handle_order_event
from gateway.engine.products import handle_product_event
from gateway.engine.reconcile import reconcile
from gateway.engine.restock import realign_stock
from gateway.engine.shop_push import push_articles, push_stock, resync_stock
from gateway.engine.specter_pull import (
    import_products,
    invoice_created,
    order_removed,
    pull_articles,
    pull_orders,
    pull_stock,
)
from gateway.jobs.registry import Register
from gateway.rules.apply import traced


@hookimpl
def register_event_handlers(register: Register) -> None:
    register(events.ShopOrder, traced(handle_order_event))
    register(events.ShopCustomer, traced(handle_customer_event))
    register(events.ShopProduct, traced(handle_product_event))
    register(events.ExportProducts, traced(handle_export_event))
    register(events.ExportCustomers, traced(handle_export_event))
    # Specter to shop: an account's callbacks (or the poller) start a pull ...
    register(events.StockChanged, pull_stock)
    register(events.ArticlesChanged, pull_articles)
    register(events.OrdersChanged, pull_orders)
    register(events.OrderRemoved, order_removed)
    register(events.InvoiceCreated, invoice_created)
    # ... whose results reach each shop of the account by jobs of their own.
    register(events.StockPush, traced(push_stock))
    register(events.ArticlesPush, traced(push_articles))
    register(events.OrdersPush, traced(push_orders))
    register(events.StockResync, resync_stock)
    register(events.StockRealign, realign_stock)
    register(events.ProductImport, import_products)
    register(events.Reconcile, reconcile)
