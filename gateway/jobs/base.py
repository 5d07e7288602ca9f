"""The job contract: one kind of job, "run event N", and the runners that carry it.

A job carries only an event id. Everything else (status, attempts, next attempt time, last
error) lives in the store, so a runner may lose, repeat or reorder jobs without harm: running a
job claims the event in the store first, and a job for an event that is not due does nothing.
"""

from __future__ import annotations

from typing import Protocol


class JobRunner(Protocol):
    async def start(self) -> None:
        """Begin running jobs (the in-process runner) or connect (arq)."""

    async def stop(self) -> None: ...

    async def enqueue(self, event_id: int, revision: int = 0, at: float | None = None) -> None:
        """Run the event's job now, or at unix time ``at``. Enqueuing the same (event,
        revision) twice runs it once."""

    async def enqueue_many(self, jobs: list[tuple[int, int, float | None]]) -> None:
        """Enqueue (event id, revision, at) for many events at once, as ``enqueue`` does."""

    async def ping(self) -> None:
        """Raise when the queue cannot be reached (for /readyz)."""
