"""What a shop's event becomes in the event log, whether a webhook brought it or a poll found it."""

from __future__ import annotations

from typing import Literal

from gateway.events import SHOP_CHANGES, ExportCustomers, ExportProducts
from gateway.model import ShopEvent
from gateway.settings import Tenant
from gateway.store.base import NewEvent

# What brought a shop's event, kept in its data as ``found_by`` (unless the adapter said): the
# shop's own call (a webhook), the poller's look at what changed, or a backfill. An order's
# story (gateway/story.py) tells which.
FoundBy = Literal["webhook", "poll", "backfill"]


def as_new_event(tenant: Tenant, event: ShopEvent, found_by: FoundBy) -> NewEvent:
    """What a shop event becomes in the event log. A shop asking for a bulk export of its
    products or customers (the legacy shop's export_products.php) becomes that export."""
    if event.action == "export" and event.object in ("product", "customer"):
        export = ExportProducts if event.object == "product" else ExportCustomers
        return export(tenant_id=tenant.id, account_id=tenant.account_id,
                      mode=event.payload.get("mode", "new")).to_new_event(idempotency_key=event.dedupe_key)
    data = event.payload if "found_by" in event.payload else {**event.payload, "found_by": found_by}
    change = SHOP_CHANGES[event.object](tenant_id=tenant.id, account_id=tenant.account_id, action=event.action,
                                        object_id=event.object_id, data=data)
    return change.to_new_event(idempotency_key=event.dedupe_key)
