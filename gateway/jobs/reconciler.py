"""Re-enqueues due work from the store, so a lost queue (a Redis flush, a crash) loses nothing."""

from __future__ import annotations

import asyncio
import logging
import time

from gateway.jobs.base import JobRunner
from gateway.store.base import Store

log = logging.getLogger("gateway.jobs")


async def reconcile_once(store: Store, runner: JobRunner, limit: int = 1000) -> int:
    """Enqueue every event that is due now; answer how many."""
    due = await store.due_events(time.time(), limit)
    for event_id, revision in due:
        await runner.enqueue(event_id, revision)
    return len(due)


async def reconcile_forever(store: Store, runner: JobRunner, every: float) -> None:
    while True:
        try:
            count = await reconcile_once(store, runner)
            if count:
                log.debug("reconciler enqueued %d due events", count)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reconciler pass failed; trying again in %.1fs", every)
        await asyncio.sleep(every)
