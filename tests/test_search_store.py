"""Finding orders and articles in the store, and the runs of each event it keeps, on SQLite and
PostgreSQL: what a support person types finds the right object of the right tenants only, through
index searches."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from gateway.secrets import Cipher
from gateway.settings import SpecterAccount, Tenant
from gateway.store import postgres, sqlite
from gateway.store.base import Binding, NewEvent, Store
from gateway.store.migrate import migrate
from tests.databases import DIALECTS, Database, open_database, postgres_database


@pytest.fixture(params=DIALECTS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    store = database.store(Fernet.generate_key())
    await store.open()
    await store.put_account(SpecterAccount(id="acct", sbm_id=1, api_user_id="u", user_key="k", integration_key="i"))
    for tenant_id in ("shop-a", "shop-b"):
        await store.put_tenant(Tenant(id=tenant_id, platform="woocommerce", account_id="acct"))
    yield store
    await store.close()


def found(hits) -> set[tuple[str, str, str, str]]:
    return {(h.tenant_id, h.kind, h.id, h.field) for h in hits}


async def test_an_order_is_found_by_what_support_types_in_any_case(store):
    await store.put_search_terms("shop-a", "order", "9001", [
        ("number", "1234"), ("id", "9001"), ("email", "Asa@Example.se"), ("article_no", "TS-1")])
    await store.put_bindings([Binding(tenant_id="shop-a", account_id="acct", kind="order", shop_id="9001",
                                      specter_no="10001", external_no="S1-1234")])
    both = ["shop-a", "shop-b"]
    assert found(await store.search("1234", both, 10)) == {("shop-a", "order", "9001", "number")}
    assert found(await store.search("9001", both, 10)) == {("shop-a", "order", "9001", "id")}
    assert found(await store.search("ASA@example.SE", both, 10)) == {("shop-a", "order", "9001", "email")}
    assert found(await store.search("10001", both, 10)) == {("shop-a", "order", "9001", "specter_no")}
    assert found(await store.search("s1-1234", both, 10)) == {("shop-a", "order", "9001", "external_no")}
    assert found(await store.search("ts-1", both, 10)) == {("shop-a", "order", "9001", "article_no")}
    [hit] = await store.search("asa@example.se", both, 10)
    assert hit.value == "Asa@Example.se" and hit.exact  # shown as the shop has it


async def test_a_long_enough_text_also_finds_what_starts_with_it_exact_matches_first(store):
    for order_id in ("123", "1230", "1239", "124"):
        await store.put_search_terms("shop-a", "order", order_id, [("number", order_id)])
    hits = await store.search("123", ["shop-a"], 10)
    assert [(h.id, h.exact) for h in hits] == [("123", True), ("1230", False), ("1239", False)]
    assert [h.id for h in await store.search("12", ["shop-a"], 10)] == []  # two characters: whole values only
    assert len(await store.search("123", ["shop-a"], 2)) == 2


async def test_only_the_tenants_asked_for_are_searched(store):
    await store.put_search_terms("shop-a", "order", "1", [("email", "same@example.se")])
    await store.put_search_terms("shop-b", "order", "1", [("email", "same@example.se")])
    await store.put_bindings([Binding(tenant_id="shop-b", account_id="acct", kind="order", shop_id="1",
                                      specter_no="777")])
    assert found(await store.search("same@example.se", ["shop-b"], 10)) == {("shop-b", "order", "1", "email")}
    assert await store.search("777", ["shop-a"], 10) == []
    assert await store.search("same@example.se", [], 10) == []


async def test_an_orders_terms_are_replaced_when_it_is_handled_again_and_go_with_its_tenant(store):
    await store.put_search_terms("shop-a", "order", "1", [("number", "1"), ("email", "old@example.se")])
    await store.put_search_terms("shop-a", "order", "1", [("number", "1"), ("email", "new@example.se")])
    assert await store.search("old@example.se", ["shop-a"], 10) == []
    assert await store.search_terms("shop-a", "order", "1") == [("email", "new@example.se"), ("number", "1")]
    await store.remove_tenant("shop-a")
    assert await store.search("new@example.se", ["shop-a"], 10) == []


async def test_articles_are_found_by_number_in_bindings_and_as_read_from_specter(store):
    await store.put_bindings([Binding(tenant_id="shop-a", account_id="acct", kind="article", shop_id="55",
                                      specter_no="TS-1", origin="shop-a")])
    assert found(await store.search("ts-1", ["shop-a", "shop-b"], 10)) == {("shop-a", "article", "TS-1", "article_no")}
    assert [b.shop_id for b in await store.article_bindings("acct", "TS-1")] == ["55"]
    assert await store.article_bindings("acct", "ts-1") == []  # a binding is its exact number


def test_every_search_is_an_index_search(tmp_path):
    conn = sqlite3.connect(tmp_path / "plan.db", isolation_level=None)
    migrate(conn)
    params = {"text": "x", "term": "x", "end": "y", "term_end": "y", "tenants": '["a"]', "limit": 5}
    for prefix in (False, True):
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sqlite.search_sql(prefix=prefix), params)]
        scans = [step for step in plan if step.startswith("SCAN") and "json_each" not in step]
        assert scans == [], plan
        assert sum(step.startswith("SEARCH") for step in plan) >= 4, plan


async def test_every_postgresql_search_is_an_index_search(tmp_path):
    """Sequential scans priced out, as on a large database: each of the four searches, exact and
    by prefix, must then find an index for its lower-cased match (a plan without one still has
    to scan, whatever it costs)."""
    async with postgres_database() as url:
        store = postgres.PostgresStore(url, Cipher(Fernet.generate_key()))
        await store.open()
        await store.close()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET enable_seqscan = off")
            for prefix in (False, True):
                plan = "\n".join(row[0] for row in await conn.fetch(
                    "EXPLAIN " + postgres.search_sql(prefix=prefix), "x", "x", ["a"], 5))
                assert "Seq Scan" not in plan, plan
                for index in ("search_terms_pkey", "bindings_number_search", "bindings_external_search",
                              "specter_articles_search"):
                    assert index in plan, plan
        finally:
            await conn.close()


async def test_every_run_of_an_event_is_kept_with_its_outcome(store):
    [(event_id, _)] = await store.record_events([NewEvent(kind="shop.order", tenant_id="shop-a", account_id="acct",
                                                          subject="order:1")])
    await store.claim_event(event_id, 30)
    await store.retry_event(event_id, 0, "busy: another job", count_attempt=False)  # no attempt
    await store.claim_event(event_id, 30)
    await store.retry_event(event_id, 0, "Specter answered 503")
    await store.claim_event(event_id, 30)
    await store.finish_event(event_id, "skipped", result={"reason": "order export is manual"})
    await store.requeue_events([event_id])  # transfer again
    await store.claim_event(event_id, 30)
    await store.finish_event(event_id, "dead", error="article 'X 1' has a space")
    attempts = (await store.event_attempts([event_id]))[event_id]
    assert [(a.attempt, a.status, a.detail) for a in attempts] == [
        (1, "retry", "Specter answered 503"), (2, "skipped", "order export is manual"),
        (1, "dead", "article 'X 1' has a space")]
    await store.finish_event(event_id, "done")  # not running: its worker's lease ran out, nothing is kept
    assert len((await store.event_attempts([event_id]))[event_id]) == 3
    assert [e.id for e in await store.shop_object_events("shop-a", "shop.order", ["order:1"], 10)] == [event_id]


async def test_events_linked_to_an_order_are_its_own_and_go_with_its_tenant(store):
    ids = [i for i, _ in await store.record_events([
        NewEvent(kind="orders.push", tenant_id="shop-a", account_id="acct", subject="orders.push"),
        NewEvent(kind="orders.push", tenant_id="shop-a", account_id="acct", subject="orders.push")])]
    await store.link_events([("shop-a", "order", "1", ids[0]), ("shop-a", "order", "1", ids[1])])
    await store.link_events([("shop-a", "order", "1", ids[0])])  # linked again: kept once
    assert [e.id for e in await store.linked_events("shop-a", "order", "1", 10)] == ids  # oldest first
    assert [e.id for e in await store.linked_events("shop-a", "order", "1", 1)] == ids[1:]  # the newest
    assert await store.linked_events("shop-a", "order", "2", 10) == []
    await store.remove_tenant("shop-a")
    assert await store.linked_events("shop-a", "order", "1", 10) == []
