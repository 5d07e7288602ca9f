"""The embedded job runner: an asyncio queue and a few worker tasks in the gateway's process."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("gateway.jobs")


class InProcessRunner:
    def __init__(self, execute: Callable[[int], Awaitable[object]], concurrency: int = 8):
        self._execute = execute
        self._concurrency = concurrency
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(), name=f"job-worker-{i}") for i in range(self._concurrency)]

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def ping(self) -> None:
        if self._tasks and all(t.done() for t in self._tasks):
            raise RuntimeError("the in-process job workers have stopped")

    async def enqueue(self, event_id: int, revision: int = 0, at: float | None = None) -> None:
        delay = 0.0 if at is None else at - time.time()
        if delay > 0:
            loop = asyncio.get_running_loop()
            timer = loop.call_later(delay, self._put_later, event_id)
            self._timers.add(timer)
            return
        self._put(event_id)

    async def enqueue_many(self, jobs: list[tuple[int, int, float | None]]) -> None:
        for event_id, revision, at in jobs:
            await self.enqueue(event_id, revision, at)

    def _put_later(self, event_id: int) -> None:
        self._timers = {t for t in self._timers if not t.cancelled() and t.when() > asyncio.get_running_loop().time()}
        self._put(event_id)

    def _put(self, event_id: int) -> None:
        if event_id in self._queued:
            return  # already waiting: the job will see the event's latest state
        self._queued.add(event_id)
        self._queue.put_nowait(event_id)

    async def _work(self) -> None:
        while True:
            event_id = await self._queue.get()
            self._queued.discard(event_id)
            try:
                await self._execute(event_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store keeps the event due; the reconciler brings it back
                log.exception("job for event %s crashed", event_id)
