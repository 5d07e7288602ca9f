"""The store on real databases, SQLite and PostgreSQL alike (each test that takes ``store`` or
``database`` runs on both): tenants and secrets, the event log's rules; and SQLite's migrations
of an older file."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gateway.adapter import WebhookCheck
from gateway.errors import ConfigError
from gateway.secrets import Cipher
from gateway.settings import SpecterAccount, Tenant, TenantSettings
from gateway.store.base import (
    REPAIRS_KEPT,
    Batch,
    Binding,
    Cursor,
    EventFilter,
    NewEvent,
    Store,
    WebhookHealth,
    WebhookRepair,
)
from gateway.store.migrate import MIGRATIONS_DIR
from gateway.store.sqlite import SQLiteStore
from tests.databases import DIALECTS, Database, open_database

FIXTURE_MIGRATIONS = Path(__file__).parent / "fixtures" / "migrations"
KEY = Fernet.generate_key()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gateway.db"


@pytest.fixture(params=DIALECTS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    store = database.store(KEY)
    await store.open()
    yield store
    await store.close()


def account(**changes) -> SpecterAccount:
    values = dict(id="acme-specter", sbm_id=4711, api_user_id="api-user", user_key="uk-0123", integration_key="ik-4567")
    return SpecterAccount(**{**values, **changes})


def tenant(**changes) -> Tenant:
    values = dict(id="acme-woo", name="Acme Woo", platform="woocommerce", account_id="acme-specter",
                  shop={"url": "https://acme.example", "consumer_secret": "cs-89ab"})
    return Tenant(**{**values, **changes})


def versions(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


# -- migrations --------------------------------------------------------------------------------


async def test_migrations_are_applied_at_start_and_only_once(db_path: Path):
    for _ in range(2):  # the second start finds nothing to do
        store = SQLiteStore(db_path, Cipher(KEY))
        await store.open()
        await store.close()
    shipped = [int(path.name[:4]) for path in sorted(MIGRATIONS_DIR.glob("*.sql"))]
    assert shipped[0] == 1 and versions(db_path) == shipped


async def test_a_later_migration_keeps_the_data_of_an_existing_database(tmp_path: Path, db_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", migrations)
    store = SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations)
    await store.open()
    await store.put_account(account())
    await store.put_tenant(tenant())
    [(event_id, _)] = await store.record_events([NewEvent(kind="shop.order", tenant_id="acme-woo", payload={"n": 1})])
    await store.close()
    assert versions(db_path) == [1]

    shutil.copy(FIXTURE_MIGRATIONS / "0002_event_note.sql", migrations)
    store = SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations)
    await store.open()
    try:
        assert await store.get_tenant("acme-woo") == tenant()
        event = await store.get_event(event_id)
        assert event is not None and event.payload == {"n": 1}
    finally:
        await store.close()
    assert versions(db_path) == [1, 2]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT note FROM events WHERE id = ?", (event_id,)).fetchone() == ("",)


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path, db_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    shutil.copy(MIGRATIONS_DIR / "0001_initial.sql", migrations)
    (migrations / "0002_broken.sql").write_text("CREATE TABLE half_done (x);\nSELECT nonsense FROM nowhere;\n")
    with pytest.raises(ConfigError, match="0002_broken"):
        await SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations).open()
    assert versions(db_path) == [1]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone() == (0,)


async def test_a_database_newer_than_the_gateway_is_refused(tmp_path: Path, db_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(source, migrations)
    (migrations / "9999_from_a_later_release.sql").write_text("CREATE TABLE later (x INTEGER);\n")
    newer = SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations)
    await newer.open()
    await newer.close()
    with pytest.raises(ConfigError, match="newer"):
        await SQLiteStore(db_path, Cipher(KEY)).open()


# -- accounts and tenants ----------------------------------------------------------------------


async def test_accounts_and_tenants_round_trip_with_their_settings(store: Store):
    settings = TenantSettings(order_export="manual", stock_sites=["1", "3"], tax_classes={"12": "reduced"})
    await store.put_account(account(callback_token="cb-token"))
    await store.put_tenant(tenant(settings=settings, inbound_token="in-token"))
    await store.put_tenant(tenant(id="acme-abi", platform="abicart", shop={}))

    assert await store.get_account("acme-specter") == account(callback_token="cb-token")
    assert await store.get_tenant("acme-woo") == tenant(settings=settings, inbound_token="in-token")
    assert [t.id for t in await store.list_tenants("acme-specter")] == ["acme-abi", "acme-woo"]
    assert await store.list_tenants("someone-else") == []
    assert (await store.account_by_callback_token("cb-token")).id == "acme-specter"
    assert await store.account_by_callback_token("wrong") is None
    assert await store.account_by_callback_token("") is None

    # put_* is an upsert
    await store.put_account(account(user_key="uk-new", callback_token="cb-new"))
    await store.put_tenant(tenant(name="Acme Renamed", enabled=False))
    assert (await store.get_account("acme-specter")).user_key == "uk-new"
    assert await store.account_by_callback_token("cb-token") is None
    renamed = await store.get_tenant("acme-woo")
    assert (renamed.name, renamed.enabled, renamed.settings) == ("Acme Renamed", False, TenantSettings())
    assert [a.id for a in await store.list_accounts()] == ["acme-specter"]


async def test_a_tenant_needs_a_known_account(store: Store):
    with pytest.raises(ConfigError, match="unknown Specter account 'acme-specter'"):
        await store.put_tenant(tenant())
    assert await store.list_tenants() == []


async def test_an_account_in_use_cannot_be_removed(store: Store):
    await store.put_account(account())
    await store.put_tenant(tenant())
    await store.put_tenant(tenant(id="acme-abi", platform="abicart"))
    with pytest.raises(ConfigError, match="acme-abi, acme-woo"):
        await store.remove_account("acme-specter")
    assert await store.get_account("acme-specter") is not None

    assert await store.remove_tenant("acme-woo") is True
    assert await store.remove_tenant("acme-woo") is False
    assert await store.remove_tenant("acme-abi") is True
    assert await store.remove_account("acme-specter") is True
    assert await store.get_account("acme-specter") is None
    assert await store.remove_account("acme-specter") is False


async def test_removing_a_tenant_removes_its_bindings_cursors_and_events(store: Store):
    await store.put_account(account())
    for tenant_id in ("acme-woo", "other-shop"):
        await store.put_tenant(tenant(id=tenant_id))
        await store.put_bindings([Binding(tenant_id=tenant_id, account_id="acme-specter", kind="article", shop_id="1",
                                          specter_no="A1")])
        await store.put_cursor(tenant_id, "orders", Cursor(last_look="2025-01-02T00:00:00", first_look="2025-01-01"))
        await store.record_events([NewEvent(kind="shop.order", tenant_id=tenant_id)])

    await store.remove_tenant("acme-woo")

    assert await store.get_binding("acme-woo", "article", "1") is None
    assert await store.get_cursor("acme-woo", "orders") is None
    assert await store.list_events(EventFilter(tenant_id="acme-woo")) == []
    assert await store.get_binding("other-shop", "article", "1") is not None
    assert await store.get_cursor("other-shop", "orders") is not None
    assert len(await store.list_events(EventFilter(tenant_id="other-shop"))) == 1


async def test_a_cursor_started_twice_keeps_the_first_start(store: Store):
    """"Connect" and a first poll at once: the earlier start stays, so no order is skipped."""
    await store.put_account(account())
    await store.put_tenant(tenant())
    connect = Cursor(last_look="2025-05-01T09:58:00+00:00", first_look="2025-05-01T09:58:00+00:00")
    assert await store.start_cursor("acme-woo", "orders", connect) == connect
    poll = Cursor(last_look="2025-05-01T10:00:00+00:00", first_look="2025-05-01T10:00:00+00:00")
    assert await store.start_cursor("acme-woo", "orders", poll) == connect
    assert await store.get_cursor("acme-woo", "orders") == connect


async def test_a_webhook_check_replaces_the_last_and_adds_its_repairs_to_those_kept(store: Store):
    await store.put_account(account())
    await store.put_tenant(tenant())
    assert await store.get_webhook_health("acme-woo") is None

    def repair(n: int) -> WebhookRepair:
        return WebhookRepair(at=float(n), topic="order.created", webhook_id="11", found="disabled",
                             repaired="re-activated")

    for n in range(REPAIRS_KEPT + 5):  # two checks at once (another process) each add theirs
        await store.put_webhook_health(WebhookHealth(tenant_id="acme-woo", checked_at=float(n), repairs=[repair(n)]))
    active = WebhookCheck(topic="order.created", found="active", webhook_id="11")
    await store.put_webhook_health(WebhookHealth(tenant_id="acme-woo", checked_at=100.0, url="http://gw/shops/a/events",
                                                 shop_fingerprint="fp", webhooks=[active], error="timed out"))
    kept = await store.get_webhook_health("acme-woo")
    assert kept is not None
    assert (kept.checked_at, kept.url, kept.shop_fingerprint, kept.webhooks, kept.error) == (
        100.0, "http://gw/shops/a/events", "fp", [active], "timed out")
    assert kept.repairs == [repair(n) for n in reversed(range(5, REPAIRS_KEPT + 5))]  # newest first, the last 20

    await store.remove_tenant("acme-woo")
    assert await store.get_webhook_health("acme-woo") is None


async def test_tenants_the_poller_looked_at_have_their_webhooks_checked_after_the_upgrade(tmp_path: Path,
                                                                                           db_path: Path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in MIGRATIONS_DIR.glob("*.sql"):
        if int(source.name[:4]) <= 5:
            shutil.copy(source, migrations)
    old = SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations)
    await old.open()
    await old.put_account(account())
    await old.put_tenant(tenant())
    await old.put_tenant(tenant(id="never-polled"))
    await old.put_cursor("acme-woo", "orders", Cursor(last_look="2025-05-02T10:00:00", first_look="2025-05-01"))
    await old.close()

    store = SQLiteStore(db_path, Cipher(KEY))
    await store.open()
    try:
        assert await store.get_webhook_health("acme-woo") == WebhookHealth(tenant_id="acme-woo", checked_at=0.0)
        assert await store.get_webhook_health("never-polled") is None
    finally:
        await store.close()


# -- secrets -----------------------------------------------------------------------------------


async def test_secrets_are_encrypted_at_rest_and_clear_on_read(database: Database):
    secrets = ["uk-SECRET-1111", "ik-SECRET-2222", "cb-SECRET-3333", "shop-SECRET-4444", "in-SECRET-5555"]
    store = database.store(KEY)
    await store.open()
    await store.put_account(account(user_key=secrets[0], integration_key=secrets[1], callback_token=secrets[2]))
    await store.put_tenant(
        tenant(name="Visible Shop Name", shop={"consumer_secret": secrets[3]}, inbound_token=secrets[4])
    )
    await store.close()

    if database.dialect == "sqlite":  # the file and its WAL, as a copy of them would hold them
        db_path = Path(database.url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name))
    else:  # every column of every row
        raw = str(await database.scalar("SELECT string_agg(a::text, '') || string_agg(t::text, '')"
                                        " FROM accounts a, tenants t")).encode()
    assert b"Visible Shop Name" in raw  # what is read is what was written
    for secret in secrets:
        assert secret.encode() not in raw

    store = database.store(KEY)
    await store.open()
    try:
        found = await store.account_by_callback_token(secrets[2])
        assert (found.user_key, found.integration_key) == (secrets[0], secrets[1])
        shop = await store.get_tenant("acme-woo")
        assert (shop.shop, shop.inbound_token) == ({"consumer_secret": secrets[3]}, secrets[4])
    finally:
        await store.close()


async def test_a_changed_secret_key_is_refused_at_start(database: Database):
    store = database.store(KEY)
    await store.open()
    await store.put_account(account())
    await store.close()

    other_key = Fernet.generate_key()
    with pytest.raises(ConfigError, match="secret key has changed") as raised:
        await database.store(other_key).open()
    assert other_key.decode() not in str(raised.value) and KEY.decode() not in str(raised.value)

    store = database.store(KEY)  # the right key still opens it
    await store.open()
    try:
        assert (await store.get_account("acme-specter")).user_key == "uk-0123"
    finally:
        await store.close()


# -- the event log -----------------------------------------------------------------------------


async def test_a_repeated_idempotency_key_returns_the_first_event(store: Store):
    first = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1", idempotency_key="order:1:v1")])
    again = await store.record_events(
        [
            NewEvent(kind="shop.order", tenant_id="t1", idempotency_key="order:1:v1"),
            NewEvent(kind="shop.order", tenant_id="t2", idempotency_key="order:1:v1"),  # another tenant
            NewEvent(kind="specter.stock", account_id="t1", idempotency_key="order:1:v1"),  # an account named alike
            NewEvent(kind="shop.order", tenant_id="t1"),  # no key: never a duplicate
            NewEvent(kind="shop.order", tenant_id="t1"),
        ]
    )
    [(first_id, created)] = first
    assert created is True
    assert await store.record_events([]) == []  # nothing to record (a poll that found nothing)
    assert again[0] == (first_id, False)
    assert all(created for _, created in again[1:])
    assert len({event_id for event_id, _ in first + again}) == 5


async def test_concurrent_deliveries_of_one_key_record_one_event(store: Store):
    delivery = [NewEvent(kind="shop.order", tenant_id="t1", idempotency_key="webhook-77")]
    answers = await asyncio.gather(*(store.record_events(delivery) for _ in range(50)))
    assert sum(created for [(_, created)] in answers) == 1
    assert len({event_id for [(event_id, _)] in answers}) == 1


async def test_concurrent_writes_are_all_durable(database: Database):
    store = database.store(KEY)
    await store.open()
    answers = await asyncio.gather(
        *(store.record_events([NewEvent(kind="shop.order", tenant_id="t1", payload={"n": n})]) for n in range(200))
    )
    await store.close()

    ids = [event_id for [(event_id, created)] in answers if created]
    assert len(set(ids)) == 200
    store = database.store(KEY)
    await store.open()
    try:
        for n, event_id in enumerate(ids):
            assert (await store.get_event(event_id)).payload == {"n": n}
        assert (await store.count_events("t1"))["pending"] == 200
    finally:
        await store.close()


async def test_a_failing_write_fails_alone_among_concurrent_writes(store: Store):
    results = await asyncio.gather(
        store.record_events([NewEvent(kind="a", tenant_id="t1")]),
        store.put_tenant(tenant(account_id="missing")),
        store.record_events([NewEvent(kind="b", tenant_id="t1")]),
        return_exceptions=True,
    )
    assert isinstance(results[1], ConfigError)
    assert {e.kind for e in await store.list_events(EventFilter(tenant_id="t1"))} == {"a", "b"}


async def test_a_claimed_event_cannot_be_claimed_twice(store: Store):
    [(event_id, _)] = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1", subject="order:1")])
    claimed = await store.claim_event(event_id, 60)
    assert (claimed.status, claimed.attempts, claimed.revision) == ("running", 1, 1)
    assert await store.claim_event(event_id, 60) is None
    assert await store.due_events(time.time(), 10) == []


async def test_one_subject_runs_one_event_at_a_time(store: Store):
    recorded = await store.record_events(
        [
            NewEvent(kind="shop.order", tenant_id="t1", subject="order:1"),
            NewEvent(kind="shop.order", tenant_id="t1", subject="order:1"),
            NewEvent(kind="shop.order", tenant_id="t2", subject="order:1"),  # another tenant's order 1
            NewEvent(kind="shop.order", tenant_id="t1", subject=""),  # no subject: never busy
            NewEvent(kind="shop.order", tenant_id="t1", subject=""),
        ]
    )
    first, second, other_tenant, free_a, free_b = (event_id for event_id, _ in recorded)
    assert (await store.claim_event(first, 60)).id == first
    assert await store.claim_event(second, 60) == "busy"
    assert (await store.get_event(second)).status == "pending"  # refused, not consumed
    assert (await store.claim_event(other_tenant, 60)).id == other_tenant
    assert (await store.claim_event(free_a, 60)).id == free_a
    assert (await store.claim_event(free_b, 60)).id == free_b

    await store.finish_event(first, "done")
    assert (await store.claim_event(second, 60)).attempts == 1


async def test_an_expired_lease_makes_the_event_due_again(store: Store):
    recorded = await store.record_events(
        [
            NewEvent(kind="shop.order", tenant_id="t1", subject="order:1"),
            NewEvent(kind="shop.order", tenant_id="t1", subject="order:1"),
        ]
    )
    (event_id, _), (sibling, _) = recorded
    await store.claim_event(event_id, 0)  # the worker died at once: its lease is over

    assert (event_id, 1) in await store.due_events(time.time(), 10)
    assert (await store.claim_event(sibling, 60)).id == sibling  # an expired lease holds no subject
    await store.finish_event(sibling, "done")
    reclaimed = await store.claim_event(event_id, 60)
    assert (reclaimed.attempts, reclaimed.revision) == (2, 2)


async def test_an_event_not_before_a_later_time_is_not_due(store: Store):
    later = time.time() + 3600
    [(event_id, _)] = await store.record_events([NewEvent(kind="export.products", tenant_id="t1", not_before=later)])
    assert await store.claim_event(event_id, 60) is None
    assert await store.due_events(time.time(), 10) == []
    assert await store.due_events(later, 10) == [(event_id, 0)]


async def test_retry_dead_and_transfer_again(store: Store):
    [(event_id, _)] = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1")])
    await store.claim_event(event_id, 60)
    soon = time.time() + 3600
    await store.retry_event(event_id, soon, "Specter answered 503")
    event = await store.get_event(event_id)
    assert (event.status, event.attempts, event.revision, event.last_error) == ("retry", 1, 2, "Specter answered 503")
    assert await store.claim_event(event_id, 60) is None  # not before its time
    assert await store.due_events(soon, 10) == [(event_id, 2)]

    await store.retry_event(event_id, 0, "late")  # only a running event changes: this one is not
    assert (await store.get_event(event_id)).last_error == "Specter answered 503"

    await store.requeue_events([event_id])  # an open event is not "transferred again"
    assert (await store.get_event(event_id)).status == "retry"


async def test_a_busy_retry_gives_the_attempt_back(store: Store):
    [(event_id, _)] = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1")])
    await store.claim_event(event_id, 60)
    await store.retry_event(event_id, 0, "busy: order locked", count_attempt=False)
    event = await store.get_event(event_id)
    assert (event.status, event.attempts) == ("retry", 0)
    assert (await store.claim_event(event_id, 60)).attempts == 1


async def test_a_dead_event_keeps_its_error_until_transferred_again(store: Store):
    recorded = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1") for _ in range(3)])
    dead_a, dead_b, done = (event_id for event_id, _ in recorded)
    for event_id in (dead_a, dead_b, done):
        await store.claim_event(event_id, 60)
    await store.finish_event(dead_a, "dead", error="article 'X 1' has a space")
    await store.finish_event(dead_b, "dead", error="unknown customer")
    await store.finish_event(done, "done", result={"specter_order_no": "1001"})
    assert (await store.get_event(dead_a)).last_error == "article 'X 1' has a space"
    assert (await store.get_event(done)).result == {"specter_order_no": "1001"}

    assert await store.requeue_events(tenant_id="t1") == [dead_a, dead_b]  # every dead one, not the done one
    again = await store.get_event(dead_a)
    assert (again.status, again.attempts, again.last_error, again.revision) == ("pending", 0, None, 3)
    assert [h["error"] for h in await store.event_history(dead_a)] == ["article 'X 1' has a space"]
    assert set(await store.due_events(time.time(), 10)) == {(dead_a, 3), (dead_b, 3)}

    assert await store.requeue_events([done]) == [done]  # by id, a done event runs again too
    assert (await store.get_event(done)).result is None
    assert (await store.event_history(done))[0]["result"] == {"specter_order_no": "1001"}


async def test_due_events_come_oldest_first(store: Store):
    recorded = await store.record_events([NewEvent(kind="shop.order", tenant_id="t1") for _ in range(5)])
    ids = [event_id for event_id, _ in recorded]
    await store.claim_event(ids[1], 60)
    assert await store.due_events(time.time(), 3) == [(ids[0], 0), (ids[2], 0), (ids[3], 0)]


async def test_listing_and_counting_events(store: Store):
    recorded = await store.record_events(
        [NewEvent(kind="shop.order", tenant_id="t1") for _ in range(5)]
        + [NewEvent(kind="specter.stock", tenant_id="t2")]
    )
    ids = [event_id for event_id, _ in recorded]
    await store.claim_event(ids[0], 60)
    await store.finish_event(ids[0], "dead", error="no")

    page = await store.list_events(EventFilter(tenant_id="t1", limit=2))
    assert [e.id for e in page] == [ids[4], ids[3]]  # newest first
    page = await store.list_events(EventFilter(tenant_id="t1", limit=2, before_id=page[-1].id))
    assert [e.id for e in page] == [ids[2], ids[1]]
    assert [e.id for e in await store.list_events(EventFilter(status="dead"))] == [ids[0]]
    assert [e.id for e in await store.list_events(EventFilter(kind="specter.stock"))] == [ids[5]]

    assert await store.count_events("t1") == {
        "pending": 4,
        "running": 0,
        "retry": 0,
        "done": 0,
        "dead": 1,
        "skipped": 0,
    }
    assert (await store.count_events())["pending"] == 5


# -- bindings and batches ----------------------------------------------------------------------


async def test_bindings_are_found_both_ways_and_change_only_what_is_named(store: Store):
    await store.put_account(account())
    await store.put_tenant(tenant(id="t1"))
    await store.put_tenant(tenant(id="t2"))

    def article(shop_id: str, **fields: object) -> Binding:
        return Binding(tenant_id="t1", account_id="acme-specter", kind="article", shop_id=shop_id, **fields)

    await store.put_bindings([article("17", specter_no="A-17", origin="t1", to_specter_fp="f1")])
    # Another direction's write: changes its own columns and leaves the rest (origin included).
    await store.put_bindings([article("17", specter_no="A-17b", origin="specter", to_shop_fp="w1")],
                             columns=frozenset({"specter_no", "to_shop_fp"}))
    found = await store.get_binding("t1", "article", "17")
    assert found is not None
    assert (found.specter_no, found.origin, found.to_specter_fp, found.to_shop_fp) == ("A-17b", "t1", "f1", "w1")
    assert (await store.binding_by_specter_no("t1", "article", "A-17b")).shop_id == "17"
    assert await store.binding_by_specter_no("t1", "article", "A-17") is None
    assert await store.get_binding("t2", "article", "17") is None
    assert await store.get_binding("t1", "customer", "17") is None

    await store.put_bindings([article("18", specter_no="V-S", parent_shop_id="9"),
                              article("19", specter_no="V-M", parent_shop_id="9")])
    assert sorted(b.shop_id for b in await store.bindings_by_parent("t1", "article", "9")) == ["18", "19"]
    assert sorted(await store.bindings_by_specter_nos("t1", "article", ["V-S", "V-M", "nope"])) == ["V-M", "V-S"]

    assert await store.update_binding("t1", "article", "18", to_shop_at=4.0, to_shop_fp="w2") is True
    assert await store.update_binding("t1", "article", "404", to_shop_at=4.0) is False
    changed = await store.get_binding("t1", "article", "18")
    assert changed is not None and (changed.to_shop_at, changed.to_shop_fp, changed.specter_no) == (4.0, "w2", "V-S")
    with pytest.raises(ValueError, match="account_id"):
        await store.update_binding("t1", "article", "18", account_id="other")

    order = Binding(tenant_id="t1", account_id="acme-specter", kind="order", shop_id="20", specter_id="5001",
                    specter_no="70001", external_no="S1-20")
    await store.put_bindings([order])
    assert await store.order_binding_by_external("t1", "acme-specter", "S1-20") == await store.get_binding(
        "t1", "order", "20")
    assert await store.order_binding_by_external("t2", "acme-specter", "S1-20") is None
    assert (await store.binding_by_specter_id("t1", "order", "5001")).shop_id == "20"
    assert await store.remove_binding("t1", "order", "20") is True
    assert await store.get_binding("t1", "order", "20") is None


async def test_the_id_map_is_carried_into_bindings(tmp_path: Path, db_path: Path):
    """A database at the schema before bindings, with every kind the id map held, upgrades
    with each pair bound as it was."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for source in MIGRATIONS_DIR.glob("*.sql"):
        if int(source.name[:4]) <= 3:
            shutil.copy(source, migrations)
    old = SQLiteStore(db_path, Cipher(KEY), migrations_dir=migrations)
    await old.open()
    await old.put_account(account())
    await old.put_tenant(tenant())
    await old.close()
    rows = [  # tenant_id, kind, shop_id, specter_id, fingerprint, parent_shop_id, updated_at
        ("acme-woo", "article", "11", "A-1", "fp-a1", "", 100.0),
        ("acme-woo", "article", "12", "V-S", "fp-vs", "10", 101.0),
        ("acme-woo", "imported", "A-1", "11", "fp-w1", "", 102.0),  # written to product 11 too
        ("acme-woo", "imported", "B-2", "13", "fp-w2", "", 103.0),  # a product the import created
        ("acme-woo", "order", "20", "5001", "S1-20", "", 104.0),
        ("acme-woo", "order_ext", "20", "S1-20", "", "", 104.0),
        ("acme-woo", "order_no", "20", "70001", "", "", 104.0),
        ("acme-woo", "order", "21", "5002", "", "", 105.0),  # from before the print held the number
        ("acme-woo", "order_ext", "21", "S1-21", "", "", 105.0),
        ("acme-woo", "customer", "email:a@example.com", "C-7", "fp-c", "", 106.0),
        ("acme-woo", "cursor", "orders", "2025-05-02T10:00:00+00:00", "2025-05-01T09:00:00+00:00", "", 107.0),
        ("removed-shop", "article", "11", "A-1", "fp", "", 108.0),  # a tenant removed long ago
    ]
    with sqlite3.connect(db_path) as conn:
        conn.executemany("INSERT INTO id_mappings (tenant_id, kind, shop_id, specter_id, fingerprint,"
                         " parent_shop_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    store = SQLiteStore(db_path, Cipher(KEY))
    await store.open()
    try:
        def bound(kind: str, shop_id: str, **fields: object) -> Binding:
            return Binding(tenant_id="acme-woo", account_id="acme-specter", kind=kind, shop_id=shop_id, **fields)

        assert await store.get_binding("acme-woo", "article", "11") == bound(
            "article", "11", specter_no="A-1", origin="specter", to_specter_fp="fp-a1", to_specter_at=100.0,
            to_shop_fp="fp-w1", to_shop_at=102.0, updated_at=100.0)
        assert await store.get_binding("acme-woo", "article", "12") == bound(
            "article", "12", parent_shop_id="10", specter_no="V-S", origin="acme-woo", to_specter_fp="fp-vs",
            to_specter_at=101.0, updated_at=101.0)
        assert await store.get_binding("acme-woo", "article", "13") == bound(
            "article", "13", specter_no="B-2", origin="specter", to_shop_fp="fp-w2", to_shop_at=103.0,
            updated_at=103.0)
        assert await store.get_binding("acme-woo", "order", "20") == bound(
            "order", "20", specter_id="5001", specter_no="70001", external_no="S1-20", to_specter_at=104.0,
            updated_at=104.0)
        assert await store.get_binding("acme-woo", "order", "21") == bound(
            "order", "21", specter_id="5002", external_no="S1-21", to_specter_at=105.0, updated_at=105.0)
        assert await store.get_binding("acme-woo", "customer", "email:a@example.com") == bound(
            "customer", "email:a@example.com", specter_id="C-7", to_specter_fp="fp-c", to_specter_at=106.0,
            updated_at=106.0)
        assert await store.get_cursor("acme-woo", "orders") == Cursor(
            last_look="2025-05-02T10:00:00+00:00", first_look="2025-05-01T09:00:00+00:00")
    finally:
        await store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM bindings").fetchone() == (6,)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'id_mappings'").fetchone() == (0,)


async def test_the_open_batch_is_the_unacknowledged_one(store: Store):
    now = time.time()
    await store.put_batch(
        Batch(account_id="acc", flow="stock", batch_no="1", state="acknowledged", created_at=now - 10, updated_at=now)
    )
    await store.put_batch(
        Batch(account_id="acc", flow="stock", batch_no="2", state="open", created_at=now, updated_at=now)
    )
    assert (await store.open_batch("acc", "stock")).batch_no == "2"
    assert await store.open_batch("acc", "article") is None

    await store.put_batch(
        Batch(account_id="acc", flow="stock", batch_no="2", state="stored", created_at=now + 5, updated_at=now + 5)
    )
    stored = await store.open_batch("acc", "stock")
    assert (stored.state, stored.created_at) == ("stored", now)  # an update keeps its creation time
    await store.put_batch(
        Batch(account_id="acc", flow="stock", batch_no="2", state="acknowledged", created_at=now, updated_at=now + 6)
    )
    assert await store.open_batch("acc", "stock") is None


async def test_ping_fails_once_closed(store: Store):
    await store.ping()
    await store.close()
    with pytest.raises(RuntimeError):
        await store.ping()


async def test_concurrent_callers_recording_the_same_key_get_one_event(store: Store):
    # Webhooks arriving together are inserted in one statement; a key repeated inside that
    # batch, or recorded before it, still answers the first event to every caller.
    await store.put_account(account())
    await store.put_tenant(tenant())
    before = await store.record_events([NewEvent(kind="shop.order", tenant_id="acme-woo", idempotency_key="k0")])
    calls = [[NewEvent(kind="shop.order", tenant_id="acme-woo", idempotency_key=f"k{n % 10}")] for n in range(40)]
    answers = await asyncio.gather(*(store.record_events(events) for events in calls))
    by_key: dict[str, set[int]] = {}
    for events, [(event_id, _)] in zip(calls, answers, strict=True):
        by_key.setdefault(events[0].idempotency_key, set()).add(event_id)
    assert all(len(ids) == 1 for ids in by_key.values())  # one event per key
    assert by_key["k0"] == {before[0][0]}
    assert sum(created for [(_, created)] in answers) == 9  # k1..k9 new, k0 known
    assert len({i for ids in by_key.values() for i in ids}) == 10


async def test_rule_sets_are_versioned_and_a_stale_save_is_refused(store):
    from gateway.rules.check import load

    await store.put_account(account())
    await store.put_tenant(tenant())
    one = load({"rules": [{"name": "a", "flow": "order_to_specter", "actions": [{"do": "stop"}]}]})
    two = load({"rules": [{"name": "b", "flow": "order_to_specter", "actions": [{"do": "stop"}]}]})
    first = await store.put_rules("acme-woo", one, "anna")
    assert first is not None and (first.version, first.changes) == (1, ["added a"])
    second = await store.put_rules("acme-woo", two, "bo", expected_version=1)
    assert second is not None and second.version == 2
    # Someone still editing version 1 does not overwrite version 2.
    assert await store.put_rules("acme-woo", one, "anna", expected_version=1) is None
    newest = await store.get_rules("acme-woo")
    assert newest is not None and (newest.version, newest.saved_by, newest.rules) == (2, "bo", two)
    assert [v.version for v in await store.rule_history("acme-woo", 10)] == [2, 1]
    assert (await store.get_rules("acme-woo", 1)).rules == one
