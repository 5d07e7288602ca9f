"""Ask now and then instead of waiting to be told, since both sides lose their calls.

Specter never repeats a callback that failed (the gateway was down, a firewall said no), but its
flags stay set until acknowledged: a pull at start-up and every few minutes brings whatever a
lost callback announced. A shop may lose a webhook too, or disable one after failures: the
orders it changed since the last look are asked for and recorded like webhooks (repeats of what
a webhook already brought come to nothing), and so are its products and customers where the
platform offers that (``changed_objects``); its webhooks are checked and repaired
(:mod:`gateway.shop_webhooks`). A shop whose ``reconcile_minutes`` asks for it gets the
reconciliation of each period at the period's first poll (:mod:`gateway.engine.reconcile`).

One node polls, whichever of several: the holder of the poller lease (:mod:`gateway.leases`).
A node that takes the lease over (its holder stopped or died) polls at once, as at start-up.

The look at a shop's changes starts where "connect" set it (its cursor's ``first_look``): a
gateway killed between connecting a tenant and its first poll still finds every order placed
since. A tenant connected before the gateway kept that time starts at its first poll."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gateway.alerts.notify import tell_refused
from gateway.engine.intake import as_new_event
from gateway.engine.reconcile import scheduled
from gateway.events import ArticlesChanged, OrdersChanged, StockChanged
from gateway.leases import POLLER
from gateway.model import ShopEvent
from gateway.settings import Tenant
from gateway.shop import Shop
from gateway.shop_webhooks import check_tenant_webhooks
from gateway.store.base import Cursor, NewEvent

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.poller")
PULLS = (StockChanged, ArticlesChanged, OrdersChanged)
OVERLAP = dt.timedelta(minutes=2)
WHOLE_SECOND = dt.timedelta(seconds=1)  # shops keep modification times in whole seconds
# How far before "connect" the first look starts: a shop whose clock runs a little behind the
# gateway's still has an order placed right after connecting found (one placed in these two
# minutes before is found too, and sent like any order its webhook would have brought).
CONNECT_MARGIN = dt.timedelta(minutes=2)


async def poll_once(gw: Gateway) -> int:
    events = [
        pull(account_id=account.id).to_new_event()
        for account in await gw.store.list_accounts()
        if await gw.store.list_tenants(account.id)
        for pull in PULLS
    ]
    for tenant in await gw.store.list_tenants():
        if tenant.enabled:
            events += await look_at_shop(gw, tenant)
        if (reconciliation := scheduled(tenant, time.time())) is not None:
            events.append(reconciliation)
    if events:
        await gw.submit(events)
    return len(events)


async def poll_tenant(gw: Gateway, tenant: Tenant) -> list[tuple[NewEvent, int, bool]]:
    """One tenant's polls now (``specter-gateway poll TENANT``): its shop's webhooks checked and
    what it changed since the last look, and Specter's pulls for its account (which reach every
    shop on that account). Answers each event recorded with its id and whether it is new (a
    pull already waiting, or a change a webhook brought, is not recorded twice)."""
    events = [pull(account_id=tenant.account_id).to_new_event() for pull in PULLS]
    events += await look_at_shop(gw, tenant)
    recorded = await gw.submit(events)
    return [(event, event_id, created) for event, (event_id, created) in zip(events, recorded, strict=True)]


async def look_at_shop(gw: Gateway, tenant: Tenant) -> list[NewEvent]:
    """Check the shop's webhooks, then ask it for what changed since the last look. Only
    a tenant whose webhooks "connect" registered has them checked: registering them is the
    operator's call. Either failing is logged (a failed check is also kept for the console) and
    stops neither the other nor the other shops; the shop refusing the credentials is also told
    to the tenant's people (gateway/alerts/)."""
    told = False  # the shop refusing the credentials is told once a look
    try:
        shop = await gw.shop(tenant)
        if shop.can_check_webhooks and await gw.store.get_webhook_health(tenant.id) is not None:
            await check_tenant_webhooks(gw, tenant, shop)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("checking shop %s's webhooks failed: %s", tenant.id, exc)
        told = await tell_refused(gw, tenant, exc, "checking the shop's webhooks")
    events: list[NewEvent] = []
    try:
        shop = await gw.shop(tenant)
        if shop.can_list_changed_orders:
            events += await changed_since_last_look(gw, tenant, "orders", shop.changed_orders)
        if shop.can_list_changed_objects:
            events += await changed_since_last_look(gw, tenant, "objects", shop.changed_objects)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("asking shop %s for what changed failed: %s", tenant.id, exc)
        if not told:
            await tell_refused(gw, tenant, exc, "asking the shop for what changed")
    return events


async def start_order_cursor(gw: Gateway, tenant: Tenant, shop: Shop) -> None:
    """At "connect": the orders the shop changes from now on (less :data:`CONNECT_MARGIN`) are
    the gateway's to find. A tenant that has a cursor keeps it (connecting again loses nothing)."""
    start = (dt.datetime.now(dt.UTC) - CONNECT_MARGIN).isoformat()
    for name, asks in (("orders", shop.can_list_changed_orders), ("objects", shop.can_list_changed_objects)):
        if asks:
            await gw.store.start_cursor(tenant.id, name, Cursor(last_look=start, first_look=start))


async def changed_since_last_look(gw: Gateway, tenant: Tenant, cursor_name: str,
                                  ask: Callable[[dt.datetime], Awaitable[list[ShopEvent]]]) -> list[NewEvent]:
    """What ``ask`` finds changed since the last look kept under ``cursor_name`` (or since
    "connect"), as events. A tenant without a cursor (connected before "connect" set one) only
    has the time noted: changes from before are not the gateway's to send."""
    started = dt.datetime.now(dt.UTC)
    cursor = await gw.store.get_cursor(tenant.id, cursor_name)
    if cursor is None:
        noted = Cursor(last_look=started.isoformat(), first_look=started.isoformat())
        cursor = await gw.store.start_cursor(tenant.id, cursor_name, noted)
        if cursor == noted:  # else "connect" set one meanwhile: look from there
            return []
    first = dt.datetime.fromisoformat(cursor.first_look)
    # A little overlap for shop clocks and whole-second timestamps (repeats are deduplicated),
    # but never back past the first look.
    since = max(dt.datetime.fromisoformat(cursor.last_look) - OVERLAP, first - WHOLE_SECOND)
    events = [as_new_event(tenant, event, "poll") for event in await ask(since)]
    await gw.store.put_cursor(tenant.id, cursor_name,
                              Cursor(last_look=started.isoformat(), first_look=cursor.first_look))
    return events


async def poll_forever(gw: Gateway, every: float) -> None:
    """Poll every ``every`` seconds while this node holds the poller lease; look whether it can
    take the lease as often as the lease is renewed."""
    last: float | None = None  # when this node last polled, while it has held the lease since
    while True:
        try:
            if not await gw.leases.hold(POLLER):
                last = None  # another node polls
            elif last is None or time.monotonic() - last >= every:
                last = time.monotonic()
                await poll_once(gw)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("polling Specter failed; trying again in %.0fs", every)
        await asyncio.sleep(min(every, gw.leases.interval))
