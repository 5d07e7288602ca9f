"""Prometheus metrics: events in and out, the queue's depth, and how long Specter and shops take.

Labels stay bounded: tenant ids, event kinds, Specter action names, platforms and hook names;
never URLs, order numbers or anything a shopper typed. The metrics live in prometheus-client's
default registry (one gateway per process); the queue depth is read from the store at scrape.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECEIVED = Counter(
    "specter_gateway_events_received", "Events recorded in the event log", ["tenant", "kind"]
)
EVENTS_PROCESSED = Counter(
    "specter_gateway_events_processed",
    "Event runs by outcome: done, skipped, retry (failed, runs again) or dead (failed for good)",
    ["tenant", "kind", "outcome"],
)
QUEUE_DEPTH = Gauge("specter_gateway_queue_depth", "Events waiting to run, by status", ["status"])
# Buckets from a fast local call to Specter's slowest answers we still wait for.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
SPECTER_CALLS = Histogram(
    "specter_gateway_specter_call_seconds", "Specter API calls", ["action", "outcome"], buckets=LATENCY_BUCKETS
)
SHOP_CALLS = Histogram(
    "specter_gateway_shop_call_seconds", "Shop operations through the adapters", ["platform", "hook", "outcome"],
    buckets=LATENCY_BUCKETS,
)
WAITING = ("pending", "retry")


def _tenant_label(tenant_id: str | None) -> str:
    return tenant_id or "-"  # account-level events (Specter's callbacks) have no tenant


def event_received(tenant_id: str | None, kind: str) -> None:
    EVENTS_RECEIVED.labels(_tenant_label(tenant_id), kind).inc()


def event_processed(tenant_id: str | None, kind: str, outcome: str) -> None:
    EVENTS_PROCESSED.labels(_tenant_label(tenant_id), kind, outcome).inc()


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    """Observe the block's duration, with outcome "ok" or "error" as the last label."""
    start = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        histogram.labels(*labels, outcome).observe(time.perf_counter() - start)
