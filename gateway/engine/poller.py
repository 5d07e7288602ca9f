"""Ask now and then instead of waiting to be told, since both sides lose their calls.

Specter never repeats a callback that failed (the gateway was down, a firewall said no), but its
flags stay set until acknowledged: a pull at start-up and every few minutes brings whatever a
lost callback announced. A shop may lose a webhook too, or disable one after failures: the
orders it changed since the last look are asked for and recorded like webhooks (repeats of what
a webhook already brought come to nothing), and so are its products and customers where the
platform offers that (``changed_objects``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gateway.engine.intake import as_new_event
from gateway.events import ArticlesChanged, OrdersChanged, StockChanged
from gateway.model import ShopEvent
from gateway.settings import Tenant
from gateway.shop import Shop
from gateway.store.base import Cursor, NewEvent

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.poller")
PULLS = (StockChanged, ArticlesChanged, OrdersChanged)
OVERLAP = dt.timedelta(minutes=2)
WHOLE_SECOND = dt.timedelta(seconds=1)  # shops keep modification times in whole seconds


async def poll_once(gw: Gateway) -> int:
    events = [
        pull(account_id=account.id).to_new_event()
        for account in await gw.store.list_accounts()
        if await gw.store.list_tenants(account.id)
        for pull in PULLS
    ]
    for tenant in await gw.store.list_tenants():
        if not tenant.enabled:
            continue
        try:
            shop = await gw.shop(tenant)
            if shop.can_list_changed_orders:
                events += await changed_shop_orders(gw, tenant, shop)
            if shop.can_list_changed_objects:
                events += await changed_since_last_look(gw, tenant, "objects", shop.changed_objects)
        except Exception as exc:  # noqa: BLE001 - one shop failing does not stop the others
            log.warning("asking shop %s for what changed failed: %s", tenant.id, exc)
    if events:
        await gw.submit(events)
    return len(events)


async def changed_shop_orders(gw: Gateway, tenant: Tenant, shop: Shop) -> list[NewEvent]:
    """The tenant's orders changed since the last look, as events; the first look only notes
    the time (orders from before the gateway are not its to send)."""
    return await changed_since_last_look(gw, tenant, "orders", shop.changed_orders)


async def changed_since_last_look(gw: Gateway, tenant: Tenant, cursor_name: str,
                                  ask: Callable[[dt.datetime], Awaitable[list[ShopEvent]]]) -> list[NewEvent]:
    """What ``ask`` finds changed since the last look kept under ``cursor_name``, as events;
    the first look only notes the time."""
    cursor = await gw.store.get_cursor(tenant.id, cursor_name)
    started = dt.datetime.now(dt.UTC)
    first = dt.datetime.fromisoformat(cursor.first_look) if cursor else started
    events: list[NewEvent] = []
    if cursor is not None:
        # A little overlap for shop clocks and whole-second timestamps (repeats are deduplicated),
        # but never back past the first look.
        since = max(dt.datetime.fromisoformat(cursor.last_look) - OVERLAP, first - WHOLE_SECOND)
        events = [as_new_event(tenant, event) for event in await ask(since)]
    cursor = Cursor(last_look=started.isoformat(), first_look=first.isoformat())
    await gw.store.put_cursor(tenant.id, cursor_name, cursor)
    return events


async def poll_forever(gw: Gateway, every: float) -> None:
    while True:
        try:
            await poll_once(gw)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("polling Specter failed; trying again in %.0fs", every)
        await asyncio.sleep(every)
