"""The body of every job, whichever runner carries it: claim, dispatch, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from gateway.alerts.notify import tell_dead_event
from gateway.errors import Busy, PermanentError, TransientError
from gateway.events import decode
from gateway.jobs.retry import backoff
from gateway.model import InvalidInput
from gateway.store.base import Event

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.jobs")

BUSY_DELAY_SECONDS = 0.25
GAVE_UP = "gave up after"  # how a dead event's error begins when it ran out of attempts


class Outcome(msgspec.Struct, kw_only=True):
    """What a handler may answer; answering None means done with no result."""

    status: Literal["done", "skipped"] = "done"
    result: dict[str, Any] = {}


async def run_event(gw: Gateway, event_id: int) -> str:
    """Run one event's handler; answer what happened (for logs and tests)."""
    store = gw.store
    # A short claim, renewed by the node's lease keeper while the handler runs: a node that
    # dies hands the event on within seconds (gateway/leases.py).
    claimed = await store.claim_event(event_id, gw.config.lease_seconds)
    if claimed is None:
        return "not-due"
    if claimed == "busy":
        # Another job holds this subject; the event stays due, so the reconciler would find it
        # too, but come back sooner than that.
        event = await store.get_event(event_id)
        if event is not None:
            await gw.runner.enqueue(event_id, event.revision, time.time() + BUSY_DELAY_SECONDS)
        return "busy"
    event = claimed
    route = gw.handlers.route(event.kind)
    if route is None:
        return await _dead(gw, event, f"no handler for event kind {event.kind!r}")
    try:
        # Decoded here, once: a payload that does not fit its kind is dead, named, before any
        # handler reads it.
        with gw.leases.claim(event.id, event.revision):
            outcome = await route.handler(gw, decode(event, route.event_type))
    except asyncio.CancelledError:
        # Stopped mid-run (shutdown, job timeout): give the event back now instead of leaving it
        # locked until its lease ends. The run counts as an attempt.
        with contextlib.suppress(Exception):
            await asyncio.shield(store.retry_event(event.id, time.time(), "interrupted before it finished"))
        raise
    except Busy as exc:
        return await _retry(gw, event, f"busy: {exc}", time.time() + BUSY_DELAY_SECONDS, count=False)
    except (PermanentError, InvalidInput) as exc:
        return await _dead(gw, event, _describe(exc), exc)
    except Exception as exc:  # noqa: BLE001 - anything unforeseen is retried, then parked
        if not isinstance(exc, TransientError):
            log.exception("event %s (%s) failed unexpectedly", event.id, event.kind)
        if event.attempts >= gw.config.max_attempts:
            return await _dead(gw, event, f"{GAVE_UP} {event.attempts} attempts: {_describe(exc)}", exc)
        at = time.time() + backoff(event.attempts, base=gw.config.retry_base_seconds)
        return await _retry(gw, event, _describe(exc), at)
    if outcome is None:
        outcome = Outcome()
    await store.finish_event(event.id, outcome.status, result=outcome.result or None)
    gw.metrics_event(event, outcome.status)
    return outcome.status


async def _dead(gw: Gateway, event: Event, error: str, exc: BaseException | None = None) -> str:
    """Park the event as dead with its reason, then tell the tenant's people (gateway/alerts/)."""
    await gw.store.finish_event(event.id, "dead", error=error)
    gw.metrics_event(event, "dead")
    await tell_dead_event(gw, event, exc if exc is not None else error, error)
    return "dead"


async def _retry(gw: Gateway, event: Event, error: str, at: float, *, count: bool = True) -> str:
    await gw.store.retry_event(event.id, at, error, count_attempt=count)
    gw.metrics_event(event, "retry")
    fresh = await gw.store.get_event(event.id)
    await gw.runner.enqueue(event.id, fresh.revision if fresh else 0, at)
    return "retry"


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    field = getattr(exc, "field", None)
    if field and field not in text:
        text = f"{text} (at {field})"
    return text
