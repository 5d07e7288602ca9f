"""The store's stock levels per stock site, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet

from gateway.store.base import Batch, Store
from tests.databases import Database, both_databases

pytestmark = both_databases


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    store = database.store(Fernet.generate_key())
    await store.open()
    yield store
    await store.close()


def batch(no: str) -> Batch:
    now = time.time()
    return Batch(account_id="acct", flow="stock", batch_no=no, state="stored", created_at=now, updated_at=now)


async def levels(store: Store, sites: list[str]) -> dict[str, int | None]:
    return {r.article_no: r.available for r in await store.pending_stock("shop", "acct", sites, 100)}


async def test_levels_are_summed_over_the_chosen_sites_or_all(store):
    await store.store_stock("acct", [("A", "1", 4), ("A", "2", 3), ("B", "1", 6)], ["shop"], batch("1"))
    assert await levels(store, []) == {"A": 7, "B": 6}
    assert await levels(store, ["1"]) == {"A": 4, "B": 6}
    assert await levels(store, ["2"]) == {"A": 3, "B": 0}  # B has nothing on site 2
    assert await levels(store, ["1", "2"]) == {"A": 7, "B": 6}


async def test_a_total_kept_without_its_sites_is_never_taken_for_zero(store):
    # A level read before levels were kept per site: Specter's total, site ''.
    await store.store_stock("acct", [("OLD", "", 9)], ["shop"], batch("1"))
    assert await levels(store, []) == {"OLD": 9}
    assert await levels(store, ["1"]) == {"OLD": None}  # unknown for site 1, not 0
    # Specter flags it again and it is read per site: known from then on.
    await store.store_stock("acct", [("OLD", "1", 5), ("OLD", "2", 4)], ["shop"], batch("2"))
    assert await levels(store, ["1"]) == {"OLD": 5}
