"""Several nodes on one database: each test opens stores that share it (separate pools on
PostgreSQL, separate writers on one SQLite file) and has them race. What SQLite's single writer
made safe by itself must hold with PostgreSQL's concurrent writers: one claim per subject, one
holder per externalOrderNo and per lease, ids that never collide, one migration run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cryptography.fernet import Fernet

from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import Batch, Binding, NewEvent, Store
from gateway.store.migrate import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, load_migrations
from tests.databases import Database, both_databases

pytestmark = both_databases
KEY = Fernet.generate_key()
ACCOUNT = "acme-specter"


@asynccontextmanager
async def nodes(database: Database, count: int = 2) -> AsyncIterator[list[Store]]:
    """``count`` stores on the database, started at once."""
    stores = [database.store(KEY) for _ in range(count)]
    try:
        await asyncio.gather(*(store.open() for store in stores))
        yield stores
    finally:
        for store in stores:
            await store.close()


async def with_tenants(store: Store, *tenant_ids: str) -> None:
    await store.put_account(SpecterAccount(id=ACCOUNT, sbm_id=4711, api_user_id="api-user", user_key="uk",
                                           integration_key="ik"))
    for tenant_id in tenant_ids:
        await store.put_tenant(Tenant(id=tenant_id, name=tenant_id, platform="woocommerce", account_id=ACCOUNT,
                                      shop={"url": "https://shop.example"}))


async def test_nodes_starting_together_migrate_once(database: Database):
    async with nodes(database, 3) as (first, *_):
        await first.ping()
    shipped = load_migrations(MIGRATIONS_DIR if database.dialect == "sqlite" else POSTGRES_MIGRATIONS_DIR)
    assert await database.scalar("SELECT count(*) FROM schema_migrations") == len(shipped)
    assert await database.scalar("SELECT count(DISTINCT version) FROM schema_migrations") == len(shipped)


async def test_one_subject_is_claimed_by_one_node_at_a_time(database: Database):
    async with nodes(database) as (a, b):
        for round_ in range(8):
            recorded = await a.record_events(
                [NewEvent(kind="shop.order", tenant_id="t1", subject=f"order:{round_}") for _ in range(6)])
            ids = [event_id for event_id, _ in recorded]
            answers = await asyncio.gather(*((a, b)[n % 2].claim_event(event_id, 60) for n, event_id in enumerate(ids)))
            claimed = [answer for answer in answers if answer not in ("busy", None)]
            assert len(claimed) == 1, answers
            assert answers.count("busy") == 5
            running = [e for e in [await a.get_event(i) for i in ids] if e is not None and e.status == "running"]
            assert len(running) == 1


async def test_an_order_number_is_claimed_by_one_shop_when_two_nodes_send_it_at_once(database: Database):
    async with nodes(database) as (a, b):
        await with_tenants(a, "shop1", "shop2")
        for n in range(10):
            def order(tenant_id: str, n: int = n) -> Binding:
                return Binding(tenant_id=tenant_id, account_id=ACCOUNT, kind="order", shop_id=str(n),
                               external_no=f"X{n}", to_specter_fp="fp")

            first, second = await asyncio.gather(a.begin_order(order("shop1")), b.begin_order(order("shop2")))
            assert (first is None) != (second is None), (first, second)
            holder = first or second
            assert holder is not None and holder.external_no == f"X{n}"
            claims = [await a.get_binding(t, "order", str(n)) for t in ("shop1", "shop2")]
            assert [c.state for c in claims if c is not None] == ["sending"]


async def test_events_recorded_on_two_nodes_at_once_get_distinct_ids_and_one_per_key(database: Database):
    async with nodes(database) as (a, b):
        calls = [[NewEvent(kind="shop.order", tenant_id="t1", idempotency_key=f"k{n % 25}", payload={"n": n})]
                 for n in range(100)]
        answers = await asyncio.gather(*((a, b)[n % 2].record_events(c) for n, c in enumerate(calls)))
        by_key: dict[str, set[int]] = {}
        for call, [(event_id, _)] in zip(calls, answers, strict=True):
            by_key.setdefault(str(call[0].idempotency_key), set()).add(event_id)
        assert all(len(ids) == 1 for ids in by_key.values())
        assert sum(created for [(_, created)] in answers) == 25
        plain = await asyncio.gather(*((a, b)[n % 2].record_events([NewEvent(kind="shop.order", tenant_id="t1")])
                                       for n in range(100)))
        ids = [event_id for [(event_id, _)] in plain]
        assert len(set(ids)) == 100 and not set(ids) & {i for ids in by_key.values() for i in ids}
        assert (await b.count_events("t1"))["pending"] == 125


async def test_a_hint_two_nodes_record_at_once_waits_once(database: Database):
    async with nodes(database) as (a, b):
        for _ in range(5):
            hint = NewEvent(kind="specter.stock", account_id="acct", subject="pull:stock", coalesce=True)
            [(first, _)], [(second, _)] = await asyncio.gather(a.record_events([hint]), b.record_events([hint]))
            assert first == second
        assert (await a.count_events())["pending"] == 1


async def test_a_lease_has_one_holder_and_passes_on_once_its_time_runs_out(database: Database):
    async with nodes(database) as (a, b):
        taken = await asyncio.gather(a.take_lease("poller", "node-a", 30), b.take_lease("poller", "node-b", 30))
        assert sorted(taken) == [False, True]
        holder, other = ("node-a", "node-b") if taken[0] else ("node-b", "node-a")
        assert await a.keep_leases(holder, ["poller"], [], 30) == {"poller"}
        assert await b.keep_leases(other, ["poller"], [], 30) == set()  # renewing what it never held
        assert await b.take_lease("poller", other, 30) is False

        # The holder dies: it stops renewing, and once its time is over another node takes it.
        assert await a.take_lease("reconciler", "node-a", 0) is True
        assert await b.take_lease("reconciler", "node-b", 30) is True
        assert await a.keep_leases("node-a", ["reconciler"], [], 30) == set()  # lost, and told so
        [lease] = [lease for lease in await a.list_leases() if lease.name == "reconciler"]
        assert lease.holder == "node-b" and lease.expires_at > time.time()

        await b.release_lease("reconciler", "node-b")
        assert await a.take_lease("reconciler", "node-a", 30) is True


async def test_a_claim_its_node_keeps_renewing_stays_its_own(database: Database):
    async with nodes(database) as (a, b):
        recorded = await a.record_events([NewEvent(kind="shop.order", tenant_id="t1", subject=f"order:{n}")
                                          for n in range(3)])
        kept, dead, moved_on = (event_id for event_id, _ in recorded)
        claims = {}
        for event_id in (kept, dead, moved_on):
            claimed = await a.claim_event(event_id, 0)  # a lease already over, unless renewed
            assert claimed not in (None, "busy")
            claims[event_id] = claimed.revision
        await a.finish_event(moved_on, "done")

        await a.keep_leases("node-a", [], [(kept, claims[kept]), (moved_on, claims[moved_on])], 30)

        due = {event_id for event_id, _ in await b.due_events(time.time(), 10)}
        assert due == {dead}  # the node that stopped renewing hands its event on
        assert await b.claim_event(kept, 60) is None
        assert (await b.get_event(moved_on)).status == "done"  # a finished event is left alone
        assert (await b.claim_event(dead, 60)).attempts == 2


async def test_stock_stored_by_two_nodes_at_once_gets_two_versions(database: Database):
    async with nodes(database) as (a, b):
        await with_tenants(a, "shop1")
        now = time.time()

        def batch(no: str) -> Batch:
            return Batch(account_id=ACCOUNT, flow="stock", batch_no=no, state="stored", created_at=now, updated_at=now)

        versions = await asyncio.gather(
            a.store_stock(ACCOUNT, [("A", "", 1), ("B", "", 2)], ["shop1"], batch("1")),
            b.store_stock(ACCOUNT, [("A", "", 3), ("B", "", 4)], ["shop1"], batch("2")))
        assert sorted(versions) == [1, 2]
        pending = await a.pending_stock("shop1", ACCOUNT, [], 10)
        latest = versions.index(2)
        assert [(p.article_no, p.available, p.version) for p in pending] == [
            ("A", [1, 3][latest], 2), ("B", [2, 4][latest], 2)]
