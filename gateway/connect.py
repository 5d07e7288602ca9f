"""Connecting a tenant: the shop's webhooks to the gateway, and Specter's callbacks to it.

Run after adding a tenant or changing what its settings ask for (``specter-gateway tenant
connect``); running it again changes nothing that is already in place.
"""

from __future__ import annotations

from typing import Any

from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant, TenantSettings

# The Specter triggers, with the gateway route each calls (Specter fills in the $ tokens).
CALLBACK_PATHS = {
    "stock_url": "stock",
    "article_url": "article",
    "order_url": "order",
    "remove_order_url": "remove-order?orderNo=$orderNo",
    "invoice_url": "invoice?orderId=$orderId&invoiceId=$invoiceId&invoiceSource=$invoiceSource",
}


def shop_topics(settings: TenantSettings, available: tuple[str, ...]) -> list[str]:
    """The shop topics this tenant's settings need, of those its platform offers."""
    wanted = {"order.created", "order.updated", "customer.created", "customer.updated"}
    if settings.delete_order:
        wanted.add("order.deleted")
    if settings.export_product_on_change:
        wanted |= {"product.created", "product.updated"}
    if settings.stock_sync:  # a stock level waiting for its product goes once the shop has it
        wanted.add("product.created")
    if settings.delete_from_specter:
        wanted.add("product.deleted")
    return [topic for topic in available if topic in wanted]


def shop_events_url(gw: Gateway, tenant: Tenant) -> str:
    return f"{gw.config.public_url.rstrip('/')}/shops/{tenant.id}/events"


def callback_urls(gw: Gateway, account: SpecterAccount) -> dict[str, str]:
    base = f"{gw.config.public_url.rstrip('/')}/specter/{account.callback_token}/"
    return {name: base + path for name, path in CALLBACK_PATHS.items()}


async def connect_tenant(gw: Gateway, tenant: Tenant) -> dict[str, Any]:
    """Register the tenant's webhooks in its shop and its account's callbacks in Specter."""
    shop = await gw.shop(tenant)
    topics = shop_topics(tenant.settings, shop.adapter.platform.topics)
    registered = await shop.register_webhooks(shop_events_url(gw, tenant), topics)
    account = await gw.account_of(tenant)
    await register_callbacks(gw, account)
    return {"webhooks": registered, "topics": topics, "callbacks": "registered"}


async def register_callbacks(gw: Gateway, account: SpecterAccount) -> None:
    specter = await gw.specter(account)
    await specter.check_account_settings(**callback_urls(gw, account))
