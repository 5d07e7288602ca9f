"""Backfill: send Specter every order a shop changed since a date that it does not have yet,
once (``specter-gateway backfill TENANT --since DATE``, the admin API, the console).

For orders from before the gateway (or from a time its webhooks and polls missed): the shop is
asked for the orders changed since the date (``changed_orders``), each order the gateway has
sent already is counted as such, and every other is fetched and judged as a webhook for it
would have been (a checkout draft, an unpaid order, order export off or manual: not sent, and
the reason is reported). Each exportable order becomes an order event with its own idempotency
key (the order and its modification time), so running backfill again records nothing new for an
unchanged order; and the order's binding and event subject make its job send it once, whatever
brought it.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec

from gateway.engine.intake import as_new_event
from gateway.engine.orders import why_not_exported
from gateway.model import InvalidInput, ShopEvent
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.shop import Shop
from gateway.store.base import NewEvent
from gateway.tenants import Conflict

FETCHES_IN_FLIGHT = 4  # orders fetched from the shop at once while judging them


class NotExported(msgspec.Struct, kw_only=True, frozen=True):
    order_id: str
    reason: str


class BackfillReport(msgspec.Struct, kw_only=True):
    since: str  # ISO 8601, UTC
    found: int  # orders the shop changed since then
    queued: list[str] = []  # order ids recorded now, to be sent
    already_queued: list[str] = []  # recorded by an earlier backfill (in this state), sent or on the way
    in_specter: list[str] = []  # sent to Specter before
    not_exportable: list[NotExported] = []

    def counts(self) -> dict[str, int]:
        return {"found": self.found, "queued": len(self.queued), "already_queued": len(self.already_queued),
                "in_specter": len(self.in_specter), "not_exportable": len(self.not_exportable)}


def parse_since(text: str) -> dt.datetime:
    """A backfill's start: a date ``YYYY-MM-DD`` (from 00:00 UTC) or an ISO 8601 time (UTC unless
    it names its offset). Raises :class:`InvalidInput` naming ``since``."""
    text = text.strip()
    try:
        if len(text) == len("YYYY-MM-DD"):
            since = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        else:
            since = dt.datetime.fromisoformat(text)
            since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput(f"since must be a date YYYY-MM-DD (or an ISO 8601 time), not {text!r}", "$.since") from None
    if since > dt.datetime.now(dt.UTC):
        raise InvalidInput(f"since {text!r} is in the future: no order has changed since then", "$.since")
    return since.astimezone(dt.UTC)


async def backfill_orders(gw: Gateway, tenant: Tenant, since: dt.datetime) -> BackfillReport:
    """Record an order event for every order changed since ``since`` that Specter lacks and a
    webhook would have sent; answer what became of each order."""
    shop = await gw.shop(tenant)
    if not shop.can_list_changed_orders:
        raise Conflict(f"the {shop.platform} platform cannot list the orders changed since a date,"
                             " so backfill cannot find them")
    found = {event.object_id: event for event in await shop.changed_orders(since) if event.object == "order"}
    report = BackfillReport(since=since.isoformat(), found=len(found))
    unsent = []
    for order_id in found:
        binding = await gw.store.get_binding(tenant.id, "order", order_id)
        if binding is not None and binding.state == "bound":
            report.in_specter.append(order_id)
        else:
            unsent.append(found[order_id])
    judged = await _judge(shop, tenant, unsent)
    events: list[tuple[str, NewEvent]] = []
    for event, reason in zip(unsent, judged, strict=True):
        if reason:
            report.not_exportable.append(NotExported(order_id=event.object_id, reason=reason))
        else:
            events.append((event.object_id, _backfill_event(tenant, event)))
    recorded = await gw.submit([new for _, new in events]) if events else []
    for (order_id, _), (_, created) in zip(events, recorded, strict=True):
        (report.queued if created else report.already_queued).append(order_id)
    return report


async def _judge(shop: Shop, tenant: Tenant, events: list[ShopEvent]) -> list[str | None]:
    """Why each order would not be sent (None: it would), fetched a few at a time.

    Bounded: a backfill over months may name thousands of orders, and a shop answers one
    request slowly but several at once well; a few in flight keep it quick without crowding
    the shop the gateway shares with its visitors."""
    limit = asyncio.Semaphore(FETCHES_IN_FLIGHT)

    async def judge(event: ShopEvent) -> str | None:
        async with limit:
            order = await shop.fetch_order(event.object_id)
        if order is None:
            return "the order no longer exists in the shop"
        return why_not_exported(order, "updated", tenant.settings.order_export)

    return list(await asyncio.gather(*(judge(event) for event in events)))


def _backfill_event(tenant: Tenant, event: ShopEvent) -> NewEvent:
    """The order event, keyed by the order and its modification time (as the shop's listing
    names it), apart from the poller's own key: a poll that skipped the order (export was off
    then) does not keep the backfill from sending it."""
    key = f"backfill:{event.dedupe_key or 'order:' + event.object_id}"
    found = msgspec.structs.replace(event, action="updated", payload={**event.payload, "found_by": "backfill"},
                                    dedupe_key=key)
    return as_new_event(tenant, found, "backfill")
