"""Reconciliation, the orders: each exportable shop order of the last days that Specter lacks,
and why.

The shop is asked for the orders it changed in the tenant's last ``reconcile_order_days``, and
not before it was connected (``changed_orders``; a platform that cannot tell is not asked, and
the report says so). An
order whose binding says Specter has it is in Specter. Every other one is fetched and judged as
a webhook for it would be (:func:`gateway.engine.orders.why_not_exported`): a checkout draft, an
unpaid order, or one the export mode leaves to a person is not missing. What is left is listed
with what its last event said: refused (by Specter, or by the gateway's own checks), dead
(retried until the gateway gave up), or never seen (no event at all, or none since it became
exportable: a lost webhook). One whose event is still open is on its way, not missing.

Nothing is sent from here: an order Specter refused would be refused again, and one a person
held back must stay held. The report offers "send to Specter", which records the same export
event as the "Transfer order" button (:func:`gateway.operations.export_order`).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from gateway.engine.context import TenantContext
from gateway.engine.orders import why_not_exported
from gateway.events import ShopOrder
from gateway.jobs.execute import GAVE_UP
from gateway.model import Order
from gateway.shop import Shop
from gateway.store.base import OPEN_STATUSES, Event, NeedsPerson, Reconciliation

FETCHES_IN_FLIGHT = 4  # orders fetched from the shop at once


def order_subject(order_id: str) -> str:
    """The subject of an order's events (as :class:`gateway.events.ShopOrder` names it)."""
    return f"{ShopOrder.object}:{order_id}"


async def compare_orders(ctx: TenantContext, report: Reconciliation, now: dt.datetime) -> None:
    """Add to ``report`` the exportable orders of the last days, and each that Specter lacks."""
    days = ctx.settings.reconcile_order_days
    report.order_days = days
    if not ctx.shop.can_list_changed_orders:
        report.notes.append(f"orders not compared: the {ctx.shop.platform} platform cannot list the orders "
                            "changed since a date")
        return
    since = now - dt.timedelta(days=days)
    # Orders from before "connect" are not the gateway's to send (backfill is for those): an
    # earlier connector may have sent them under other numbers.
    cursor = await ctx.gw.store.get_cursor(ctx.tenant.id, "orders")
    if cursor is not None and (connected := dt.datetime.fromisoformat(cursor.first_look)) > since:
        since = connected
        report.notes.append(f"orders compared since the shop was connected ({connected:%Y-%m-%d %H:%M} UTC): "
                            "backfill sends those from before")
    changed = await ctx.shop.changed_orders(since)
    unsent = []
    for order_id in sorted({event.object_id for event in changed if event.object == "order"}):
        binding = await ctx.binding("order", order_id)
        if binding is not None and binding.state == "bound":
            report.orders += 1
            report.orders_in_specter += 1
        else:
            unsent.append(order_id)
    mode = ctx.settings.order_export
    exportable = [order for order in await _fetch(ctx.shop, unsent)
                  if order is not None and why_not_exported(order, "updated", mode) is None]
    last = await ctx.gw.store.latest_order_events(ctx.tenant.id, [order_subject(o.shop_id) for o in exportable])
    for order in exportable:
        report.orders += 1
        event = last.get(order_subject(order.shop_id))
        if event is not None and event.status in OPEN_STATUSES:
            report.orders_on_the_way += 1
        else:
            report.found(missing_order(order, event))


def missing_order(order: Order, event: Event | None) -> NeedsPerson:
    """An exportable order Specter lacks, with what its last event said."""
    key, label = order.shop_id, order.number or order.shop_id
    if event is None:
        return NeedsPerson(what="order", key=key, label=label, problem="never_seen",
                           reason="no webhook or poll ever brought this order to the gateway")
    if event.status == "dead":
        error = event.last_error or "no reason was recorded"
        if error.startswith(GAVE_UP):
            return NeedsPerson(what="order", key=key, label=label, problem="dead", event_id=event.id,
                               reason=f"sending it failed until the gateway {error}")
        return NeedsPerson(what="order", key=key, label=label, problem="refused", event_id=event.id, reason=error)
    said = (event.result or {}).get("reason")
    return NeedsPerson(what="order", key=key, label=label, problem="never_seen", event_id=event.id,
                       reason=f"its last event was {event.status}{f' ({said})' if said else ''}, and none came "
                              "since it became exportable")


async def _fetch(shop: Shop, order_ids: list[str]) -> list[Order | None]:
    """The orders, a few fetched at once: a slow shop answers several requests at once well,
    and a few in flight do not crowd the shop its visitors share."""
    limit = asyncio.Semaphore(FETCHES_IN_FLIGHT)

    async def fetch(order_id: str) -> Order | None:
        async with limit:
            return await shop.fetch_order(order_id)

    return list(await asyncio.gather(*(fetch(order_id) for order_id in order_ids)))
