"""A tenant's health, read from the event log: when each flow last succeeded, what waits, what
failed and why; and how its webhooks in the shop were when last checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway import events
from gateway.settings import Tenant
from gateway.shop_webhooks import health_view
from gateway.store.base import Event, EventFilter, Store

# The flows a tenant's owner recognises, by event kind. Specter's callbacks are recorded for
# the account (shared by its tenants), the others for the tenant.
TENANT_FLOWS = {
    events.ShopOrder.kind: "Orders to Specter",
    events.ShopCustomer.kind: "Customers to Specter",
    events.ShopProduct.kind: "Products to Specter",
    events.ExportProducts.kind: "Product export",
    events.ExportCustomers.kind: "Customer export",
    events.ProductImport.kind: "Product import",
    events.StockResync.kind: "Stock update",
    events.Reconcile.kind: "Reconciliation",
}
ACCOUNT_FLOWS = {
    events.StockChanged.kind: "Stock from Specter",
    events.ArticlesChanged.kind: "Articles from Specter",
    events.OrdersChanged.kind: "Order status from Specter",
}
LONG_OPERATIONS = tuple(e.kind for e in (events.ExportProducts, events.ExportCustomers, events.ProductImport,
                                         events.StockResync, events.Reconcile))


@dataclass
class Health:
    tenant: Tenant
    last_success: dict[str, float | None] = field(default_factory=dict)  # flow title -> time
    waiting: int = 0  # pending, retry or running
    failed: int = 0  # dead
    last_error: Event | None = None
    webhooks: dict[str, Any] = field(default_factory=dict)  # see gateway.shop_webhooks.health_view

    @property
    def webhooks_broken(self) -> bool:
        """Checked, and the check failed or left a webhook not delivering."""
        return bool(self.webhooks.get("checked_at")) and not self.webhooks.get("healthy")

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.webhooks_broken

    @property
    def webhook_summary(self) -> str:
        """The webhooks in a few words: how many deliver, or what is wrong."""
        if not self.webhooks.get("checked_at"):
            return "not checked yet"
        if self.webhooks.get("error"):
            return "the last check failed"
        silent = [w["topic"] for w in self.webhooks["webhooks"] if not w["active"]]
        if silent:
            return "not delivering: " + ", ".join(silent)
        return f"{len(self.webhooks['webhooks'])} active"


async def _newest_done(store: Store, query: EventFilter) -> float | None:
    events = await store.list_events(query)
    return events[0].updated_at if events else None


async def tenant_health(store: Store, tenant: Tenant) -> Health:
    health = Health(tenant)
    for kind, title in TENANT_FLOWS.items():
        query = EventFilter(tenant_id=tenant.id, kind=kind, status="done", limit=1)
        health.last_success[title] = await _newest_done(store, query)
    for kind, title in ACCOUNT_FLOWS.items():
        query = EventFilter(account_id=tenant.account_id, kind=kind, status="done", limit=1)
        health.last_success[title] = await _newest_done(store, query)
    counts = await store.count_events(tenant.id)
    health.waiting = counts["pending"] + counts["retry"] + counts["running"]
    health.failed = counts["dead"]
    dead = await store.list_events(EventFilter(tenant_id=tenant.id, status="dead", limit=1))
    health.last_error = dead[0] if dead else None
    health.webhooks = health_view(tenant.id, await store.get_webhook_health(tenant.id))
    return health


def payload_summary(event: Event) -> str:
    """One line about what the event carries, without the shop's whole body."""
    payload = event.payload
    parts = [str(payload[key]) for key in ("action", "object_id", "mode") if payload.get(key)]
    return " ".join(parts) or event.subject
