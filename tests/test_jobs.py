"""Jobs end to end, for both runners and both databases: a real Gateway on a real SQLite file or
PostgreSQL database and, for arq, a real arq Worker on the real Redis, with the probe handlers of
tests/plugins/probe_handlers.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import msgspec
import pytest
from arq.worker import Worker
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from gateway.config import GatewayConfig
from gateway.jobs.arq_runner import close_worker, worker_settings
from gateway.secrets import Cipher
from gateway.services import Gateway
from gateway.store.base import Event, NewEvent
from gateway.store.factory import make_store
from tests.databases import Database, both_databases
from tests.plugins.probe_handlers import Probe, ProbeBroken, ProbeFlaky, ProbeOk, ProbeSlow

# A Redis database of these tests' own: one of them flushes it. Queue names (and so job ids)
# are unique per test besides.
REDIS_URL = os.environ.get("SPECTER_GATEWAY_TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parents[1]
FINAL = ("done", "dead", "skipped")

both_runners = pytest.mark.parametrize("runner", ["inprocess", "arq"])
# arq 0.28 itself calls redis-py's deprecated close() when a worker stops.
pytestmark = [pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"), both_databases]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    await client.ping()  # no Redis: fail here, loudly
    yield client
    await client.aclose()


@pytest.fixture
def config(tmp_path: Path, redis: Redis, database: Database) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path / "data",
        database_url=database.url,
        secret_key=Fernet.generate_key().decode(),
        redis_url=REDIS_URL,
        queue_name=f"test-jobs-{uuid.uuid4().hex}",
        plugins=["tests.plugins.probe_handlers"],
        reconcile_seconds=0.2,
        retry_base_seconds=0.02,
        max_attempts=4,
        workers=4,
        lease_seconds=2,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "probe.log"


class Running:
    """A gateway whose jobs run: in-process, or in an arq Worker task of this process."""

    def __init__(self, gateway: Gateway, worker_task: asyncio.Task | None = None):
        self.gateway = gateway
        self.worker_task = worker_task

    def check(self) -> None:
        if self.worker_task is not None and self.worker_task.done():
            self.worker_task.result()  # raises what stopped it
            raise AssertionError("the arq worker stopped")


@contextlib.asynccontextmanager
async def running(config: GatewayConfig, runner: str) -> AsyncIterator[Running]:
    gateway = await Gateway.create(config, runner=runner)
    worker = None
    try:
        if runner == "arq":
            worker = Worker(**worker_settings(config), handle_signals=False)
            task = asyncio.create_task(worker.async_run())
            yield Running(gateway, task)
        else:
            yield Running(gateway)
    finally:
        if worker is not None:
            await close_worker(worker)  # stops its task and closes the worker's own Gateway
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.close()


async def until(
    check: Callable[[], Awaitable[bool]], what: str, run: Running | None = None, timeout: float = 10.0
) -> None:
    """Wait, up to ``timeout`` seconds, for ``check`` to hold."""
    deadline = time.monotonic() + timeout
    while not await check():
        if run is not None:
            run.check()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settled(run: Running, ids: list[int]) -> list[Event]:
    """The events, once every one has reached a final status."""
    store = run.gateway.store

    async def all_final() -> bool:
        return all([(await store.get_event(i)).status in FINAL for i in ids])

    await until(all_final, f"events {ids} to finish", run)
    return [await store.get_event(i) for i in ids]


def runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def probe(kind: type[Probe], log: Path, not_before: float | None = None, **fields) -> NewEvent:
    return kind(tenant_id="t1", account_id="a1", log=str(log), **fields).to_new_event(not_before=not_before)


@both_runners
async def test_an_event_runs_once_and_is_done(config, log, runner):
    async with running(config, runner) as run:
        [(event_id, _)] = await run.gateway.submit([probe(ProbeOk, log, echo="hello")])
        [event] = await settled(run, [event_id])
    assert (event.status, event.attempts, event.result) == ("done", 1, {"echo": "hello"})
    assert [r["id"] for r in runs(log)] == [event_id]


@both_runners
async def test_a_flaky_event_is_retried_until_it_succeeds(config, log, runner):
    async with running(config, runner) as run:
        [(event_id, _)] = await run.gateway.submit([probe(ProbeFlaky, log, succeed_on=3)])
        [event] = await settled(run, [event_id])
    assert (event.status, event.attempts, event.last_error) == ("done", 3, None)
    assert [r["attempt"] for r in runs(log)] == [1, 2, 3]


@both_runners
async def test_a_broken_event_is_dead_with_its_error(config, log, runner):
    async with running(config, runner) as run:
        [(event_id, _)] = await run.gateway.submit([probe(ProbeBroken, log)])
        [event] = await settled(run, [event_id])
    assert (event.status, event.attempts, event.last_error) == ("dead", 1, "the probe is broken for good")
    assert len(runs(log)) == 1


@both_runners
async def test_an_event_that_keeps_failing_is_given_up(config, log, runner):
    async with running(config, runner) as run:
        [(event_id, _)] = await run.gateway.submit([probe(ProbeFlaky, log, succeed_on=0)])
        [event] = await settled(run, [event_id])
    assert event.status == "dead"
    assert event.last_error == "gave up after 4 attempts: flaky on attempt 4"
    assert [r["attempt"] for r in runs(log)] == [1, 2, 3, 4]


@both_runners
async def test_an_event_enqueued_twice_runs_once(config, log, runner):
    # One job at a time and no reconciler: the marker, enqueued last and due later, finishes
    # after every job enqueued before it has had its turn.
    config = msgspec.structs.replace(config, workers=1, reconcile_seconds=3600)
    async with running(config, runner) as run:
        [(twice, _), (marker, _)] = await run.gateway.store.record_events(
            [probe(ProbeOk, log), probe(ProbeOk, log, not_before=time.time() + 0.1)]
        )
        await run.gateway.runner.enqueue(twice, 0)
        await run.gateway.runner.enqueue(twice, 0)
        await run.gateway.runner.enqueue(marker, 0, time.time() + 0.1)
        await settled(run, [marker])
        [event] = await settled(run, [twice])
    assert (event.status, event.attempts) == ("done", 1)
    assert sorted(r["id"] for r in runs(log)) == [twice, marker]


@both_runners
async def test_events_of_one_subject_never_overlap(config, log, runner):
    async with running(config, runner) as run:
        recorded = await run.gateway.submit([probe(ProbeSlow, log, about="order:1", seconds=0.3) for _ in range(2)])
        events = await settled(run, [event_id for event_id, _ in recorded])
    assert [e.status for e in events] == ["done", "done"]
    assert [e.attempts for e in events] == [1, 1]  # waiting for the subject costs no attempt
    first, second = sorted(runs(log), key=lambda r: r["started"])
    assert second["started"] >= first["at"]  # the second began after the first had ended


@both_runners
async def test_a_run_cut_short_by_shutdown_runs_again_after_restart(config, log, runner):
    async with running(config, runner) as run:
        [(event_id, _)] = await run.gateway.submit([probe(ProbeSlow, log, seconds=60)])

        async def started() -> bool:
            return (await run.gateway.store.get_event(event_id)).status == "running"

        await until(started, "the slow event to start", run)

    # Given back at shutdown, not left locked until its lease ends.
    store = make_store(config.database_url, Cipher(config.secret_key.encode()))
    await store.open()
    event = await store.get_event(event_id)
    await store.close()
    assert (event.status, event.last_error) == ("retry", "interrupted before it finished")

    async with running(config, runner) as run:
        [event] = await settled(run, [event_id])
    assert (event.status, event.attempts) == ("done", 2)


@both_runners
async def test_work_survives_a_lost_queue(config, log, runner, redis):
    # Record events while no worker runs; then the queue loses everything (a Redis flush, or
    # the in-process queue dying with its process).
    producer = await Gateway.create(config, runner="arq" if runner == "arq" else "none")
    recorded = await producer.submit([probe(ProbeOk, log) for _ in range(20)])
    await producer.close()
    if runner == "arq":
        assert await redis.zcard(config.queue_name) == 20
        await redis.flushdb()
        assert await redis.zcard(config.queue_name) == 0

    async with running(config, runner) as run:  # its reconciler finds the due events in the store
        events = await settled(run, [event_id for event_id, _ in recorded])
    assert {e.status for e in events} == {"done"}
    assert sorted(r["id"] for r in runs(log)) == sorted(event_id for event_id, _ in recorded)


async def test_a_worker_process_runs_jobs_and_stops_on_sigterm(config, log):
    """``specter-gateway worker`` as its own process: runs jobs, and exits cleanly on SIGTERM."""
    env = {
        **os.environ,
        "SPECTER_GATEWAY_DATA_DIR": str(config.data_dir),
        "SPECTER_GATEWAY_DATABASE_URL": config.database_url,
        "SPECTER_GATEWAY_SECRET_KEY": config.secret_key,
        "SPECTER_GATEWAY_REDIS_URL": config.redis_url,
        "SPECTER_GATEWAY_QUEUE_NAME": config.queue_name,
        "SPECTER_GATEWAY_PLUGINS": "tests.plugins.probe_handlers",
        "SPECTER_GATEWAY_RECONCILE_SECONDS": "0.2",
    }
    producer = await Gateway.create(config, runner="arq")
    worker = await asyncio.create_subprocess_exec(sys.executable, "-m", "gateway.jobs.arq_runner", cwd=ROOT, env=env)
    try:
        [(event_id, _)] = await producer.submit([probe(ProbeOk, log, echo="from a process")])
        run = Running(producer)
        [event] = await settled(run, [event_id])
        assert (event.status, event.result) == ("done", {"echo": "from a process"})
    finally:
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(worker.wait(), 30)
        await producer.close()
    assert code == 0


@pytest.mark.parametrize(
    ("stored", "error"),
    [
        (NewEvent(kind="probe.flaky", tenant_id="t1", account_id="a1", payload={"succeed_on": 2}),
         "a 'probe.flaky' event that does not decode: Object missing required field `log`"),
        (NewEvent(kind="probe.flaky", tenant_id="t1", account_id="a1", payload={"log": "x", "succeed_on": "soon"}),
         "a 'probe.flaky' event that does not decode: Expected `int`, got `str` - at `$.succeed_on`"),
        (NewEvent(kind="probe.ok", account_id="a1", payload={"log": "x"}),  # a tenant's kind without its tenant
         "a 'probe.ok' event that does not decode: Expected `str`, got `null` - at `$.tenant_id`"),
    ],
)
async def test_a_payload_that_does_not_fit_its_kind_is_dead_before_its_handler_runs(config, log, stored, error):
    async with running(config, "inprocess") as run:
        [(event_id, _)] = await run.gateway.submit([stored])
        [event] = await settled(run, [event_id])
    assert (event.status, event.attempts, event.last_error) == ("dead", 1, error)
    assert runs(log) == []


async def test_a_run_longer_than_its_lease_stays_on_its_node_while_that_node_lives(config, log):
    """Two nodes on one database: the node running an event keeps renewing its claim, so the
    other node's reconciler never finds it due, however long it runs."""
    config.lease_seconds = 0.6
    async with running(config, "inprocess") as first, running(config, "inprocess") as second:
        [(event_id, _)] = await second.gateway.submit([probe(ProbeSlow, log, seconds=2.0)])
        [event] = await settled(second, [event_id])
        assert first.gateway.leases.holds("reconciler") or second.gateway.leases.holds("reconciler")
    assert (event.status, event.attempts) == ("done", 1)
    assert [run["attempt"] for run in runs(log)] == [1]
