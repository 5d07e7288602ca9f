"""What a shop's event becomes in the event log, whether a webhook brought it or a poll found it."""

from __future__ import annotations

from gateway.model import ShopEvent
from gateway.settings import Tenant
from gateway.store.base import NewEvent


def as_new_event(tenant: Tenant, event: ShopEvent) -> NewEvent:
    """What a shop event becomes in the event log. A shop asking for a bulk export of its
    products or customers (the legacy shop's export_products.php) becomes that export."""
    if event.action == "export" and event.object in ("product", "customer"):
        what = "products" if event.object == "product" else "customers"
        return NewEvent(kind=f"export.{what}", tenant_id=tenant.id, account_id=tenant.account_id,
                        subject=f"export:{what}", idempotency_key=event.dedupe_key,
                        payload={"mode": event.payload.get("mode", "new")})
    return NewEvent(
        kind=f"shop.{event.object}",
        tenant_id=tenant.id,
        account_id=tenant.account_id,
        subject=f"{event.object}:{event.object_id}",
        idempotency_key=event.dedupe_key,
        payload={"action": event.action, "object_id": event.object_id, "data": event.payload},
    )
