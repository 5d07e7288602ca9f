"""Connecting a tenant: the shop's webhooks to the gateway, and Specter's callbacks to it.

Run after adding a tenant or changing what its settings ask for (``specter-gateway tenant
connect``); running it again changes nothing that is already in place, and gives webhooks a
changed secret. Connecting also starts the shop poller's cursor at this moment, so an order
placed from now on is found by the next poll even if the gateway is killed before it.
Removing a tenant deletes the webhooks connecting registered.
"""

from __future__ import annotations

from typing import Any

from gateway.engine.poller import start_order_cursor
from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant
from gateway.shop_webhooks import (
    check_tenant_webhooks,
    record_registration,
    remove_tenant_webhooks,
    shop_events_url,
    shop_topics,
)
from gateway.tenants import TenantService

# The Specter triggers, with the gateway route each calls (Specter fills in the $ tokens).
CALLBACK_PATHS = {
    "stock_url": "stock",
    "article_url": "article",
    "order_url": "order",
    "remove_order_url": "remove-order?orderNo=$orderNo",
    "invoice_url": "invoice?orderId=$orderId&invoiceId=$invoiceId&invoiceSource=$invoiceSource",
}


def callback_urls(gw: Gateway, account: SpecterAccount) -> dict[str, str]:
    base = f"{gw.config.public_url.rstrip('/')}/specter/{account.callback_token}/"
    return {name: base + path for name, path in CALLBACK_PATHS.items()}


async def connect_tenant(gw: Gateway, tenant: Tenant) -> dict[str, Any]:
    """Register the tenant's webhooks in its shop and its account's callbacks in Specter."""
    shop = await gw.shop(tenant)
    await start_order_cursor(gw, tenant, shop)  # first: orders from now on are the gateway's
    topics = shop_topics(tenant.settings, shop.adapter.platform.topics)
    registered = await shop.register_webhooks(shop_events_url(gw, tenant), topics)
    if shop.can_check_webhooks:  # gives webhooks that were already there a changed secret
        health = await check_tenant_webhooks(gw, tenant, shop)
        registered += [f"{c.topic}: webhook {c.webhook_id} {c.repaired}" for c in health.webhooks if c.repaired]
    else:
        await record_registration(gw, tenant)
    account = await gw.account_of(tenant)
    await register_callbacks(gw, account)
    return {"webhooks": registered, "topics": topics, "callbacks": "registered"}


async def register_callbacks(gw: Gateway, account: SpecterAccount) -> None:
    specter = await gw.specter(account)
    await specter.check_account_settings(**callback_urls(gw, account))


async def remove_tenant(gw: Gateway, tenant_id: str) -> dict[str, Any]:
    """Remove a tenant, first deleting the webhooks the gateway registered in its shop, so the
    shop stops calling. A shop that cannot be reached (it may be gone for good) does not keep
    the tenant: the answer's ``warning`` says what is left to delete by hand."""
    service = TenantService(gw.store, gw.adapters)
    tenant = await service.tenant(tenant_id)
    answer: dict[str, Any] = {"removed": tenant.id, "webhooks": [], "warning": None}
    try:
        answer["webhooks"] = await remove_tenant_webhooks(gw, tenant)
    except Exception as exc:  # noqa: BLE001 - reported to the operator, who removes them by hand
        answer["warning"] = (f"the shop's webhooks could not be deleted ({exc}): delete those calling "
                             f"{shop_events_url(gw, tenant)} in the shop's admin")
    await service.remove_tenant(tenant.id)
    gw.forget_tenant(tenant.id)
    await gw.forget_shop(tenant.id)
    return answer
