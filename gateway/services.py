"""The gateway's running parts, built once per process (web server or arq worker).

``Gateway`` holds the store, the plugin manager and adapters, the job runner, the node's leases,
the shared HTTP session, and per-tenant shops and per-account Specter clients, created on first
use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec

from gateway import metrics
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.jobs.base import JobRunner
from gateway.jobs.registry import HandlerRegistry
from gateway.leases import LeaseKeeper
from gateway.plugins import Adapters, make_plugin_manager
from gateway.secrets import Cipher
from gateway.settings import SpecterAccount, Tenant
from gateway.shop import Shop
from gateway.store.base import Event, NewEvent, Store

if TYPE_CHECKING:  # pragma: no cover - imported when first used, to keep start-up light
    from gateway.specter.client import SpecterClient

log = logging.getLogger("gateway")

TENANT_TTL = 2.0  # seconds
ENQUEUE_BATCH = 500


class Gateway:
    def __init__(self, config: GatewayConfig, store: Store, adapters: Adapters):
        self.config = config
        self.store = store
        self.adapters = adapters
        self.pm = adapters.pm
        self.runner: JobRunner = _NoRunner()
        self.leases = LeaseKeeper(store, config.lease_seconds)
        self.http: aiohttp.ClientSession | None = None
        self.handlers = HandlerRegistry()
        self._shops: dict[str, tuple[int, Shop, Tenant]] = {}  # tenant id -> (version, shop, tenant)
        self._specter: dict[str, tuple[int, SpecterClient]] = {}  # account id -> (version, client)
        self._background: set[asyncio.Task[None]] = set()
        self._due: list[tuple[int, float | None]] = []  # stored, not yet handed to the runner
        self._enqueuer: asyncio.Task[None] | None = None
        self._tenant_cache: dict[str, tuple[float, Tenant]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.pm.hook.register_event_handlers(register=self.handlers.register)

    # -- life cycle --------------------------------------------------------------------------

    @classmethod
    async def create(cls, config: GatewayConfig, *, runner: str = "auto") -> Gateway:
        """Open the store and HTTP session and start the job runner ("inprocess", "arq",
        "none" for a process that only enqueues, or "auto": arq when a Redis URL is set)."""
        from gateway.store.factory import make_store

        adapters = Adapters(make_plugin_manager(config.plugins))  # first: a plugin error stops the start
        config.ensure_data_dir()
        store = make_store(config.resolved_database_url(), Cipher(config.resolved_secret_key()),
                           pool_size=config.database_pool_size)
        await store.open()
        gw = cls(config, store, adapters)
        gw.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=10))
        if runner == "auto":
            runner = "arq" if config.redis_url else "inprocess"
        await gw._start_runner(runner)
        return gw

    async def _start_runner(self, kind: str) -> None:
        from gateway.jobs.execute import run_event
        from gateway.jobs.reconciler import reconcile_forever

        if kind == "inprocess":
            from gateway.jobs.inprocess import InProcessRunner

            self.runner = InProcessRunner(lambda event_id: run_event(self, event_id), self.config.workers)
        elif kind == "arq":
            from gateway.jobs.arq_runner import ArqRunner

            self.runner = ArqRunner(self.config.redis_url, self.config.queue_name)
        elif kind == "none":
            return
        else:
            raise ConfigError(f"unknown job runner {kind!r}")
        self.leases.start()
        await self.runner.start()
        self.spawn(reconcile_forever(self.store, self.runner, self.config.reconcile_seconds, self.leases),
                   "reconciler")

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``coro`` in the background until it ends or the gateway closes (which cancels it);
        a finished task is let go, so short ones (an alert's message) do not pile up."""
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self) -> None:
        if self._enqueuer is not None:
            await asyncio.gather(self._enqueuer, return_exceptions=True)
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await self.runner.stop()  # running jobs give their events back
        await self.leases.stop()  # and the leases go to another node at once
        for tenant_id in list(self._shops):
            await self.forget_shop(tenant_id)
        for _, client in self._specter.values():
            with contextlib.suppress(Exception):
                await client.close()
        if self.http is not None:
            await self.http.close()
        await self.store.close()

    # -- events ------------------------------------------------------------------------------

    async def submit(self, events: list[NewEvent]) -> list[tuple[int, bool]]:
        """Record events durably, then enqueue the new ones. A queue that cannot be reached now
        loses nothing: the event is stored and the reconciler enqueues it later."""
        recorded = await self.store.record_events(events)
        due = []
        for (event_id, created), event in zip(recorded, events, strict=True):
            if created:
                metrics.event_received(event.tenant_id, event.kind)
                due.append((event_id, event.not_before))
        if due:
            # The events are durable now: answer the caller without waiting for the queue; one
            # task enqueues what many requests stored meanwhile, in batches.
            self._due.extend(due)
            if self._enqueuer is None or self._enqueuer.done():
                self._enqueuer = asyncio.create_task(self._enqueue_due())
        return recorded

    async def _enqueue_due(self) -> None:
        while self._due:
            batch, self._due = self._due[:ENQUEUE_BATCH], self._due[ENQUEUE_BATCH:]
            try:
                await self.runner.enqueue_many([(event_id, 0, at) for event_id, at in batch])
            except Exception:  # noqa: BLE001 - the events are stored: the reconciler enqueues them
                log.warning("could not enqueue %d events now; the reconciler will", len(batch))

    async def cached_tenant(self, tenant_id: str) -> Tenant | None:
        """A tenant read at most TENANT_TTL seconds ago: the inbound routes' hot path, where a
        change made elsewhere (CLI, admin API, another node) may take that long to show."""
        now = time.monotonic()
        hit = self._tenant_cache.get(tenant_id)
        if hit is not None and now - hit[0] < TENANT_TTL:
            return hit[1]
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is not None:  # an unknown tenant is asked again: it may be added any moment
            self._tenant_cache[tenant_id] = (now, tenant)
        return tenant

    def lock(self, name: str) -> asyncio.Lock:
        """This process's lock called ``name`` (e.g. one tenant's webhook check), for work that
        must not overlap with itself here; another process relies on the store's guarantees."""
        return self._locks.setdefault(name, asyncio.Lock())

    def forget_tenant(self, tenant_id: str) -> None:
        self._tenant_cache.pop(tenant_id, None)

    def metrics_event(self, event: Event, status: str) -> None:
        """Count an event run's outcome: done, skipped, retry or dead."""
        metrics.event_processed(event.tenant_id, event.kind, status)

    # -- per-tenant and per-account handles ----------------------------------------------------

    async def tenant(self, tenant_id: str) -> Tenant:
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is None:
            raise ConfigError(f"unknown tenant {tenant_id!r}")
        return tenant

    async def account_of(self, tenant: Tenant) -> SpecterAccount:
        """The Specter account a tenant is attached to."""
        account = await self.store.get_account(tenant.account_id)
        if account is None:
            raise ConfigError(f"tenant {tenant.id!r} names the unknown Specter account {tenant.account_id!r}")
        return account

    async def shop(self, tenant: Tenant) -> Shop:
        """The tenant's shop, opened by its platform's adapter (``open_shop``) and cached."""
        # Keyed by the tenant's whole configuration, so a change made by another process (the
        # CLI, another gateway node) opens a fresh handle.
        cached = self._shops.get(tenant.id)
        if cached is not None and cached[2] is tenant:  # the same cached Tenant: nothing changed
            return cached[1]
        version = hash(msgspec.json.encode(tenant))
        if cached is not None and cached[0] == version:
            self._shops[tenant.id] = (version, cached[1], tenant)
            return cached[1]
        if cached is not None:
            await self.forget_shop(tenant.id)
        assert self.http is not None, "the gateway's HTTP session opens in Gateway.create"
        shop = Shop.open(tenant, self.adapters.adapter(tenant.platform), self.http)
        self._shops[tenant.id] = (version, shop, tenant)
        return shop

    async def forget_shop(self, tenant_id: str) -> None:
        """Drop and close a cached shop (a tenant removed, or one replaced by a change)."""
        cached = self._shops.pop(tenant_id, None)
        if cached is not None:
            with contextlib.suppress(Exception):
                await cached[1].close()

    async def specter(self, account: SpecterAccount | str) -> SpecterClient:
        """The Specter client for an account, cached."""
        from gateway.specter.client import SpecterClient

        if isinstance(account, str):
            found = await self.store.get_account(account)
            if found is None:
                raise ConfigError(f"unknown Specter account {account!r}")
            account = found
        # Keyed by the account's contents, as shop handles are, so new keys set anywhere (the
        # CLI, the admin API, another node) are used from the next call on.
        version = hash(msgspec.json.encode(account))
        cached = self._specter.get(account.id)
        if cached is not None and cached[0] == version:
            return cached[1]
        client = SpecterClient(account, self.http)
        self._specter[account.id] = (version, client)
        if cached is not None:
            with contextlib.suppress(Exception):
                await cached[1].close()
        return client


class _NoRunner:
    """Before a runner starts (or in a process that only records events)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def ping(self) -> None: ...

    async def enqueue(self, event_id: int, revision: int = 0, at: float | None = None) -> None:
        return None

    async def enqueue_many(self, jobs: list[tuple[int, int, float | None]]) -> None:
        return None
