"""What an operator can start for a tenant, shared by the JSON admin API and the admin console.

Each operation is recorded as an event and run by a job, so it survives a restart, shows its
progress and outcome in the event log, and can be transferred again when it failed. Backfill
records one such event per order it finds, and answers at once what it found.
"""

from __future__ import annotations

from typing import cast, get_args

from gateway.engine.backfill import BackfillReport, backfill_orders, parse_since
from gateway.engine.specter_pull import import_off
from gateway.events import EXPORTS, ExportMode, ProductImport, Reconcile, ShopOrder, StockResync, TenantEvent
from gateway.model import InvalidInput
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.tenants import Conflict


async def transfer_again(gw: Gateway, tenant_id: str, event_id: int | None = None) -> list[int]:
    """"Transfer again": one event of the tenant (``event_id``), or every failed one; answer
    the ids queued again (none when the event is not the tenant's or is still open)."""
    if event_id is not None:
        ids = await gw.store.requeue_events([event_id], tenant_id=tenant_id)
    else:
        ids = await gw.store.requeue_events(tenant_id=tenant_id)
    for requeued in ids:
        event = await gw.store.get_event(requeued)
        await gw.runner.enqueue(requeued, event.revision if event else 0)
    return ids


async def _record(gw: Gateway, event: TenantEvent) -> int:
    [(event_id, _)] = await gw.submit([event.to_new_event()])
    return event_id


async def start_export(gw: Gateway, tenant: Tenant, what: str, mode: str) -> int:
    """Bulk export of the shop's products (``new`` or ``all``) or customers to Specter."""
    export = EXPORTS.get(what)
    if export is None:
        raise InvalidInput("what must be 'products' or 'customers'", "$.what")
    if mode not in get_args(ExportMode):
        raise InvalidInput("mode must be 'new' or 'all'", "$.mode")
    return await _record(gw, export(tenant_id=tenant.id, account_id=tenant.account_id, mode=cast(ExportMode, mode)))


async def export_order(gw: Gateway, tenant: Tenant, order_id: str) -> int:
    """The connectors' "Transfer order" button: send one order now, whatever the export mode (a
    draft is still refused)."""
    return await _record(gw, ShopOrder(tenant_id=tenant.id, account_id=tenant.account_id, action="export",
                                       object_id=order_id))


async def import_products(gw: Gateway, tenant: Tenant) -> int:
    """Import products from Specter into the shop, as the get_specter_articles URL does;
    refused while the tenant's product import is off."""
    if not tenant.settings.import_products:
        raise Conflict(import_off(tenant))
    return await _record(gw, ProductImport(tenant_id=tenant.id, account_id=tenant.account_id))


async def resync_stock(gw: Gateway, tenant: Tenant) -> int:
    """The connectors' "Update Stock" button: set the shop's stock from Specter now."""
    return await _record(gw, StockResync(tenant_id=tenant.id, account_id=tenant.account_id))


async def reconcile(gw: Gateway, tenant: Tenant) -> int:
    """Compare the shop with Specter now: heal stock and price drift, list what needs a person
    (see :mod:`gateway.engine.reconcile`). A reconciliation still waiting to start is answered
    instead of a second one."""
    return await _record(gw, Reconcile(tenant_id=tenant.id, account_id=tenant.account_id))


async def backfill(gw: Gateway, tenant: Tenant, since: str) -> BackfillReport:
    """Send every order the shop changed since ``since`` (a date, as typed) that Specter lacks,
    once; see :mod:`gateway.engine.backfill`."""
    return await backfill_orders(gw, tenant, parse_since(since))
