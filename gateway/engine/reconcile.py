"""Continuous reconciliation: one shop compared with Specter, on a schedule and on demand.

Nothing else compares the two systems: a stock level or price that drifted (a lost callback, an
edit in the shop, a restock on cancel) stays wrong until the article changes in Specter again,
and an order that never reached Specter is found only if a webhook or the poller brings it. A
reconciliation is one :class:`gateway.events.Reconcile` event, run by the job runner:

1. Specter's side is refreshed: the account's stock and article pulls run first (they read only
   what Specter flags, so this costs little), as events of their own, and the reconciliation
   waits for them;
2. the catalogue is compared (:mod:`gateway.engine.reconcile_catalogue`): stock and price drift
   Specter owns is healed through the ordinary pushes;
3. the orders of the last days are compared (:mod:`gateway.engine.reconcile_orders`): those
   Specter lacks are listed with why;
4. the report is kept as the tenant's last, for the console, the admin API and the CLI.

A second reconciliation right after the first finds the shop as Specter has it, and writes
nothing. ``reconcile_minutes`` schedules one per period (:func:`scheduled`, asked at each poll).
"""

from __future__ import annotations

import datetime as dt
import time

import msgspec

from gateway.alerts import causes
from gateway.alerts.notify import notify
from gateway.engine.context import TenantContext
from gateway.engine.export import progress_writer
from gateway.engine.reconcile_catalogue import compare_catalogue
from gateway.engine.reconcile_orders import compare_orders
from gateway.errors import Busy
from gateway.events import ArticlesChanged, ArticlesPush, Reconcile, SpecterCallback, StockChanged
from gateway.jobs.execute import Outcome
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.store.base import EventFilter, NewEvent, Reconciliation

REFRESHING: tuple[type[SpecterCallback], ...] = (StockChanged, ArticlesChanged)


async def reconcile(gw: Gateway, event: Reconcile) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    notes = await refresh_from_specter(gw, ctx.tenant, event)
    report = Reconciliation(tenant_id=ctx.tenant.id, event_id=event.id, trigger=event.trigger,
                            started_at=time.time(), notes=notes)
    await compare_catalogue(ctx, report, progress_writer(gw, event.id))
    await compare_orders(ctx, report, dt.datetime.now(dt.UTC))
    # Orders first: they are what a person must act on soonest.
    report.needs_person.sort(key=lambda finding: finding.what != "order")
    report.finished_at = time.time()
    before = await gw.store.get_reconciliation(ctx.tenant.id)
    await gw.store.put_reconciliation(report)
    await _tell_what_is_new(gw, report, before)
    return Outcome(result={"counts": report.counts(), "notes": report.notes})


async def refresh_from_specter(gw: Gateway, tenant: Tenant, event: Reconcile) -> list[str]:
    """Have the account's stock and article pulls run, and answer once they have finished and
    the article data they read has reached the shop (with a note for a pull that could not read
    Specter now: the comparison uses what was read before).

    The pulls run as events of their own, never here: their subject keeps them from overlapping
    another pull of the account (two reads of one flow would share Specter's open batch). They
    are recorded once per reconciliation (an idempotency key with its event id), and while one is
    still to run this job is given back as :class:`Busy`: run again shortly, no attempt counted,
    holding no worker meanwhile. A pull that fails (Specter down) is retried on its own schedule;
    the reconciliation does not wait for that."""
    pulls = [msgspec.structs.replace(
        pull(account_id=tenant.account_id).to_new_event(idempotency_key=f"reconcile:{tenant.id}:{event.id}:{pull.flow}"),
        coalesce=False) for pull in REFRESHING]  # coalesced, the key would not find this pull again
    waiting, notes = [], []
    for pull, (pull_id, _) in zip(REFRESHING, await gw.submit(pulls), strict=True):
        pulled = await gw.store.get_event(pull_id)
        if pulled is None or pulled.status in ("done", "skipped"):
            continue
        if pulled.status in ("pending", "running"):
            waiting.append(f"{pull.flow} (event {pull_id})")
        else:
            notes.append(f"Specter's {pull.flow} changes could not be read now ({pulled.last_error}): compared "
                         "with what was read before")
    if waiting:
        raise Busy(f"waiting for Specter's {' and '.join(waiting)} to be read first")
    # What the pulls read is on its way to the shop: compared before it lands, it would look like
    # drift and be written twice. (A stock level on its way is told apart per article instead;
    # a push being retried is not waited for: the shop may be down for hours.)
    for status in ("pending", "running"):
        query = EventFilter(tenant_id=tenant.id, kind=ArticlesPush.kind, status=status, limit=1)
        if await gw.store.list_events(query):
            raise Busy("waiting for Specter's article data to reach the shop first")
    return notes


def scheduled(tenant: Tenant, now: float) -> NewEvent | None:
    """The scheduled reconciliation of the period ``now`` falls in, for a tenant whose
    ``reconcile_minutes`` asks for one; None when it does not.

    Keyed by the period (and its length), so asking at every poll, from any number of gateway
    processes, records one per period; a new length starts new periods."""
    minutes = tenant.settings.reconcile_minutes
    if not minutes or not tenant.enabled:
        return None
    period = int(now // (minutes * 60))
    return Reconcile(tenant_id=tenant.id, account_id=tenant.account_id, trigger="schedule").to_new_event(
        idempotency_key=f"reconcile:every-{minutes}-min:{period}")


async def _tell_what_is_new(gw: Gateway, report: Reconciliation, before: Reconciliation | None) -> None:
    """Tell the tenant's people about findings the last report did not have: a scheduled run
    that finds the same order still missing says nothing new, so it sends nothing."""
    known = {(f.what, f.key, f.problem) for f in before.needs_person} if before else set()
    new = [f for f in report.needs_person if (f.what, f.key, f.problem) not in known]
    if new:
        lines = [f"{f.what} {f.label or f.key}: {f.reason}" for f in new]
        await notify(gw, report.tenant_id, causes.RECONCILIATION,
                     f"Reconciliation found {len(new)} new thing(s) that need a person:\n" + "\n".join(lines))
