"""Order changes read from Specter, to the shop order each is about (Specter to shop, second
half, like gateway/engine/shop_push.py): the status the tenant's order_status_map gives the
change, the tracking numbers of the order's parcels, and, for an order whose stock the shop gave
back or took again, Specter's levels for its articles again.

Specter reports an order again whenever anything about it changes (and a batch may be read twice
after a crash), and the shop announces every write back as an order change: the adapter writes
only what the order does not show yet, so a change reported again writes nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.engine.context import TenantContext
from gateway.engine.orders import write_order_no
from gateway.engine.restock import STOCK_RELEASED, ask_realign
from gateway.events import OrdersPush
from gateway.jobs.execute import Outcome
from gateway.model import OrderStatusUpdate
from gateway.rules.apply import apply_rules
from gateway.rules.run import Skipped
from gateway.services import Gateway
from gateway.store.base import Binding

REMOVED = "removed"  # status_id of the change actionRemoveOrder stands for (no status Specter reports)


def change_of(update: OrderStatusUpdate) -> str:
    """The order_status_map key for a change from Specter: removed, deleted, delivered, else
    Specter's status id ("" when it gave none)."""
    if update.status_id == REMOVED:
        return REMOVED
    if update.deleted:
        return "deleted"
    if update.delivered:
        return "delivered"
    return update.status_id


def with_shop_status(update: OrderStatusUpdate, order_status_map: dict[str, str]) -> OrderStatusUpdate:
    """The change with the shop status the tenant's map gives it ("" when the map has none)."""
    return msgspec.structs.replace(update, shop_status=order_status_map.get(change_of(update), "").strip())


async def push_orders(gw: Gateway, event: OrdersPush) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    applied: list[dict[str, Any]] = []
    elsewhere, changed = 0, False
    for update in event.updates:
        bound = await _shop_order(ctx, update)
        if bound is None:
            elsewhere += 1  # another shop's order on the same Specter account
            continue
        order_id = bound.shop_id
        # In the order's story from now on, also when applying the change fails.
        await ctx.gw.store.link_events([(ctx.tenant.id, "order", order_id, event.id)])
        entry: dict[str, Any] = {"order": order_id, "change": change_of(update)}
        if not bound.specter_no and update.specter_order_no and not update.deleted:
            # An order adopted after a lost answer: Specter's number is known only now.
            await ctx.mark("order", order_id, specter_no=update.specter_order_no)
            await write_order_no(ctx, order_id, update.specter_order_no)
            entry["specter_order_no"] = update.specter_order_no
        mapped = with_shop_status(update, ctx.settings.order_status_map)
        ruled = await apply_rules(ctx, "order_status_from_specter", mapped)
        if isinstance(ruled, Skipped):
            applied.append(entry | {"skipped": str(ruled)})
            continue
        change = ruled
        written = await ctx.shop.set_order_status(order_id, change)
        entry |= {"shop_status": change.shop_status, "status_set": written.status,
                  "tracking": update.tracking_numbers, "tracking_added": written.tracking_added}
        if written.not_set:
            entry["not_set"] = written.not_set
        # The shop may have put the order's items back, or taken them again (WooCommerce takes
        # a cancelled order's items off again when it becomes completed: Specter delivered an
        # order the shop owner had cancelled); the realign job looks (recorded before the binding
        # goes, so nothing is lost to a crash in between).
        if (update.deleted or change.shop_status in STOCK_RELEASED or written.status) \
                and await ask_realign(ctx, order_id):
            entry["stock"] = "the order's articles get Specter's levels where the shop shows others"
        if update.deleted:
            # Gone from Specter: the shop's "order deleted" that cancelling may fire must not
            # send Specter a delete of its own. Last, so a retry still finds the order.
            await ctx.gw.store.remove_binding(ctx.tenant.id, "order", order_id)
        if written.status or written.tracking_added or update.deleted or "specter_order_no" in entry \
                or "stock" in entry:
            changed = True
        applied.append(entry)
    if not applied:
        return Outcome(status="skipped", result={"reason": "none of these orders came from this shop",
                                                 "other_shops": elsewhere})
    result: dict[str, Any] = {"applied": applied, "other_shops": elsewhere}
    if not changed:
        return Outcome(status="skipped", result=result | {"reason": "the shop shows these changes already"})
    return Outcome(result=result)


async def _shop_order(ctx: TenantContext, update: OrderStatusUpdate) -> Binding | None:
    """The shop order a Specter order change is about: by the external order number the gateway
    sent, else by Specter's order number."""
    store, tenant = ctx.gw.store, ctx.tenant
    found = None
    if update.external_order_no:
        found = await store.order_binding_by_external(tenant.id, tenant.account_id, update.external_order_no)
    if found is None and update.specter_order_no:
        found = (await store.binding_by_specter_no(tenant.id, "order", update.specter_order_no)
                 or await store.binding_by_specter_id(tenant.id, "order", update.specter_order_no))
    return found
