"""The Redis job runner: arq carries "run event N" to worker processes (``specter-gateway worker``).

A job's id is ``<queue>:event:<id>:<revision>``, so enqueuing the same (event, revision) twice
queues one job; the revision changes with every status change, so a retry gets a new job. The
queue name is part of the id because arq's job keys are global to the Redis database, not per
queue. Results are not kept (``keep_result=0``): a kept result would block its job id, and a job
that found its event not yet due (or busy) must be enqueuable again by the reconciler at once.
Redis holds no truth: after a flush the reconciler re-enqueues every due event from the store.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from arq.worker import Retry, Worker

from gateway.config import GatewayConfig
from gateway.jobs import execute

# KEYS: job key and result key per job; ARGV: the queue, then job id, score, expiry (ms) and
# the serialized job per job. The same steps as arq's enqueue_job, atomic per job.
ENQUEUE_MANY = """
local queue = ARGV[1]
for i = 1, #KEYS / 2 do
  local a = 2 + (i - 1) * 4
  if redis.call('EXISTS', KEYS[2 * i - 1], KEYS[2 * i]) == 0 then
    redis.call('PSETEX', KEYS[2 * i - 1], ARGV[a + 2], ARGV[a + 3])
    redis.call('ZADD', queue, ARGV[a + 1], ARGV[a])
  end
end
return 0
"""

POLL_DELAY_SECONDS = 0.05  # arq's default 0.5 s caps a worker near 1,000 jobs/s
ARQ_MS = 0.001  # arq keeps times in whole milliseconds, rounded down


class ArqRunner:
    def __init__(self, redis_url: str, queue_name: str = "specter-gateway"):
        self._settings = RedisSettings.from_dsn(redis_url)
        self.queue_name = queue_name
        self._pool: ArqRedis | None = None

    async def start(self) -> None:
        self._pool = await create_pool(self._settings, default_queue_name=self.queue_name)

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

    async def ping(self) -> None:
        await self._connected().ping()

    async def enqueue(self, event_id: int, revision: int = 0, at: float | None = None) -> None:
        # Round up to the next millisecond, so the job never starts before the event is due.
        defer_until = None if at is None else datetime.fromtimestamp(at + ARQ_MS, tz=UTC)
        await self._connected().enqueue_job(
            "run_event",
            event_id,
            _job_id=f"{self.queue_name}:event:{event_id}:{revision}",
            _queue_name=self.queue_name,
            _defer_until=defer_until,
        )

    async def enqueue_many(self, jobs: list[tuple[int, int, float | None]]) -> None:
        """Enqueue many (event id, revision, at) in one round trip, with what arq's
        ``enqueue_job`` does per job (skip a job id already queued or with a kept result, keep
        the serialized job with its expiry, add it to the queue), in one Lua script: the web
        process enqueues every event it stores, and arq's per-job transaction costs three round
        trips and ~160 µs of CPU each."""
        if not jobs:
            return
        pool = self._connected()
        now_ms = timestamp_ms()
        keys: list[str] = []
        args: list[Any] = [self.queue_name]
        for event_id, revision, at in jobs:
            job_id = f"{self.queue_name}:event:{event_id}:{revision}"
            score = now_ms if at is None else int((at + ARQ_MS) * 1000)
            expires_ms = max(score - now_ms, 0) + pool.expires_extra_ms
            keys += [job_key_prefix + job_id, result_key_prefix + job_id]
            args += [job_id, score, expires_ms,
                     serialize_job("run_event", (event_id,), {}, None, now_ms, serializer=pool.job_serializer)]
        # redis-py types eval for its sync and async clients alike (a str or an awaitable).
        await pool.eval(ENQUEUE_MANY, len(keys), *keys, *args)  # type: ignore[misc]

    def _connected(self) -> ArqRedis:
        if self._pool is None:
            raise RuntimeError("the arq runner is not started")
        return self._pool


async def run_event(ctx: dict[str, Any], event_id: int) -> str:
    """The arq job: run one event with the worker's Gateway."""
    outcome = await execute.run_event(ctx["gateway"], event_id)
    if outcome == "busy":
        # execute.run_event re-enqueued it, but this job's id is still taken while it runs; let
        # arq run this same job again shortly (after its max_tries, the reconciler takes over).
        raise Retry(defer=execute.BUSY_DELAY_SECONDS)
    return outcome


def worker_settings(config: GatewayConfig) -> dict[str, Any]:
    """Keyword arguments for :class:`arq.worker.Worker` running this gateway's jobs."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        from gateway.services import Gateway

        # runner="arq": the worker re-enqueues retries itself and runs a reconciler too (job
        # ids dedupe what the web process's reconciler enqueues as well).
        ctx["gateway"] = await Gateway.create(config, runner="arq")

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        gateway = ctx.pop("gateway", None)
        if gateway is not None:
            await gateway.close()

    return {
        "functions": [run_event],
        "queue_name": config.queue_name,
        "redis_settings": RedisSettings.from_dsn(config.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": config.workers,
        "poll_delay": POLL_DELAY_SECONDS,
        "keep_result": 0,
        # A job never outlives its lease; the store makes the event due again when it ends.
        "job_timeout": config.job_lease_seconds,
    }


async def run_worker(config: GatewayConfig, *, burst: bool = False, handle_signals: bool = True) -> None:
    """Run an arq worker until stopped (SIGINT/SIGTERM), or, with ``burst``, until the queue is
    empty."""
    if not config.redis_url:
        from gateway.errors import ConfigError

        raise ConfigError("the worker needs a Redis URL (SPECTER_GATEWAY_REDIS_URL)")
    worker = Worker(**worker_settings(config), burst=burst, handle_signals=handle_signals)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # cancelled from outside, not stopped by a signal
    finally:
        await close_worker(worker)


async def close_worker(worker: Worker) -> None:
    """Stop a worker: cancel its running jobs (their events are given back to the store) and
    close it, which closes its Gateway. arq's own close() gathers the job tasks without
    ``return_exceptions``, so one cancelled job would abort it before its on_shutdown: wait for
    them here first."""
    if worker.main_task is not None:
        worker.main_task.cancel()
    for task in worker.tasks.values():
        task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    worker.tasks.clear()
    await worker.close()


def run_worker_blocking(config: GatewayConfig) -> None:
    """The CLI's ``worker`` command."""
    asyncio.run(run_worker(config))


if __name__ == "__main__":
    from gateway.jobs.arq_runner import run_worker_blocking as _run  # the importable module's copy

    _run(GatewayConfig.from_env())
