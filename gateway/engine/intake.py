"""What a shop's event becomes in the event log, whether a webhook brought it or a poll found it."""

from __future__ import annotations

from gateway.events import SHOP_CHANGES, ExportCustomers, ExportProducts
from gateway.model import ShopEvent
from gateway.settings import Tenant
from gateway.store.base import NewEvent


def as_new_event(tenant: Tenant, event: ShopEvent) -> NewEvent:
    """What a shop event becomes in the event log. A shop asking for a bulk export of its
    products or customers (the legacy shop's export_products.php) becomes that export."""
    if event.action == "export" and event.object in ("product", "customer"):
        export = ExportProducts if event.object == "product" else ExportCustomers
        return export(tenant_id=tenant.id, account_id=tenant.account_id,
                      mode=event.payload.get("mode", "new")).to_new_event(idempotency_key=event.dedupe_key)
    change = SHOP_CHANGES[event.object](tenant_id=tenant.id, account_id=tenant.account_id, action=event.action,
                                        object_id=event.object_id, data=event.payload)
    return change.to_new_event(idempotency_key=event.dedupe_key)
