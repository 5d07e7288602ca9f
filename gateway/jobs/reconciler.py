"""Re-enqueues due work from the store, so a lost queue (a Redis flush, a crash) loses nothing.

One node at a time does it, the holder of the reconciler lease (:mod:`gateway.leases`): with
many nodes, every one would otherwise enqueue every due event each round."""

from __future__ import annotations

import asyncio
import logging
import time

from gateway.jobs.base import JobRunner
from gateway.leases import RECONCILER, LeaseKeeper
from gateway.store.base import EventLog

log = logging.getLogger("gateway.jobs")


async def reconcile_once(store: EventLog, runner: JobRunner, limit: int = 1000) -> int:
    """Enqueue every event that is due now; answer how many."""
    due = await store.due_events(time.time(), limit)
    for event_id, revision in due:
        await runner.enqueue(event_id, revision)
    return len(due)


async def reconcile_forever(store: EventLog, runner: JobRunner, every: float, leases: LeaseKeeper) -> None:
    while True:
        try:
            count = await reconcile_once(store, runner) if await leases.hold(RECONCILER) else 0
            if count:
                log.debug("reconciler enqueued %d due events", count)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reconciler pass failed; trying again in %.1fs", every)
        await asyncio.sleep(every)
