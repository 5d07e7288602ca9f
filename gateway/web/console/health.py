"""A tenant's health, read from the event log: when each flow last succeeded, what waits, what
failed and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway import events
from gateway.settings import Tenant
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
}
ACCOUNT_FLOWS = {
    events.StockChanged.kind: "Stock from Specter",
    events.ArticlesChanged.kind: "Articles from Specter",
    events.OrdersChanged.kind: "Order status from Specter",
}
LONG_OPERATIONS = tuple(e.kind for e in (events.ExportProducts, events.ExportCustomers, events.ProductImport,
                                         events.StockResync))


@dataclass
class Health:
    tenant: Tenant
    last_success: dict[str, float | None] = field(default_factory=dict)  # flow title -> time
    waiting: int = 0  # pending, retry or running
    failed: int = 0  # dead
    last_error: Event | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0


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
    return health


def payload_summary(event: Event) -> str:
    """One line about what the event carries, without the shop's whole body."""
    payload = event.payload
    parts = [str(payload[key]) for key in ("action", "object_id", "mode") if payload.get(key)]
    return " ".join(parts) or event.subject
