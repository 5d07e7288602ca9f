"""Specter to shop, first half: read what changed in Specter, keep it, then acknowledge.

Every flow follows Specter's pull-and-acknowledge protocol: pick a batch number, read what is
flagged with it (recovering a batch left open, error 99), store what was read durably, and only
then acknowledge the batch, so a crash anywhere loses nothing (Specter keeps the flags of what
was never acknowledged). What was stored is then pushed to every shop on the account by jobs of
its own (gateway/engine/shop_push.py), so one slow or broken shop holds back no other.
"""

from __future__ import annotations

import secrets
import time
from functools import partial
from typing import Any

from gateway.engine.order_status import REMOVED
from gateway.engine.ownership import owner_of
from gateway.errors import ConfigError, PermanentError
from gateway.events import (
    ArticlesChanged,
    ArticlesPush,
    InvoiceCreated,
    OrderRemoved,
    OrdersChanged,
    OrdersPush,
    ProductImport,
    StockChanged,
    StockPush,
)
from gateway.jobs.execute import Outcome
from gateway.model import OrderStatusUpdate
from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant
from gateway.specter.client import read_with_recovery
from gateway.store.base import Batch

MAX_ROUNDS = 1000  # pages per pull: a bound, far above any real catalogue


def new_batch_no() -> str:
    """Any unique string will do for Specter; time first, so batches sort by age."""
    return f"G{time.time_ns():x}{secrets.token_hex(2)}"


async def _account_and_tenants(gw: Gateway, account_id: str) -> tuple[SpecterAccount, list[Tenant]]:
    """The Specter account and its shops that are enabled."""
    account = await gw.store.get_account(account_id)
    if account is None:
        raise ConfigError(f"unknown Specter account {account_id!r}")
    tenants = [t for t in await gw.store.list_tenants(account.id) if t.enabled]
    return account, tenants


async def _acknowledged(gw: Gateway, account: SpecterAccount, flow: str, batch_no: str) -> None:
    now = time.time()
    await gw.store.put_batch(Batch(account_id=account.id, flow=flow, batch_no=batch_no, state="acknowledged",
                                   created_at=now, updated_at=now))


# -- stock ---------------------------------------------------------------------------------------


async def pull_stock(gw: Gateway, event: StockChanged) -> Outcome:
    account, tenants = await _account_and_tenants(gw, event.account_id)
    receivers = [t for t in tenants if t.settings.stock_sync]
    # Always per stock site: each shop gets the sum of its own chosen sites, and choosing other
    # sites later needs no new read from Specter.
    client = await gw.specter(account)
    read = partial(client.read_stock_changes, multiple_sites=True)
    articles = 0
    for _ in range(MAX_ROUNDS):
        wanted = new_batch_no()
        changes, batch_no = await read_with_recovery(read, wanted)
        if changes:
            levels = [(c.article_no, c.stock_site, c.available) for c in changes]
            now = time.time()
            batch = Batch(account_id=account.id, flow="stock", batch_no=batch_no, state="stored",
                          created_at=now, updated_at=now)
            await gw.store.store_stock(account.id, levels, [t.id for t in receivers], batch)
            articles += len({c.article_no for c in changes})
        await client.ack_stock(batch_no)
        await _acknowledged(gw, account, "stock", batch_no)
        if batch_no == wanted:  # a recovered old batch is followed by a read of the new one
            break
    await gw.submit([StockPush(tenant_id=t.id, account_id=t.account_id).to_new_event() for t in receivers])
    return Outcome(result={"articles": articles, "shops": [t.id for t in receivers]})


# -- article data --------------------------------------------------------------------------------


NONE_FLAGGED = ("Specter hands out only articles flagged for the web shop, and has flagged none since this gateway "
                "started. In Specter, flag the articles for the web shop, then import again.")
IMPORT_PAGE = 100  # articles per push of a product import


async def pull_articles(gw: Gateway, event: ArticlesChanged) -> Outcome:
    """Article data changed in Specter: read every page, keep it, hand each page to the shops."""
    account, tenants = await _account_and_tenants(gw, event.account_id)
    return await _read_articles(gw, account, tenants)


async def import_products(gw: Gateway, event: ProductImport) -> Outcome:
    """The ``get_specter_articles`` pull: bring Specter's articles into one shop, creating what
    it lacks. Specter hands out only flagged articles, and reading them un-flags them for the
    whole account, so the gateway keeps every article it has read: the shop gets all of them,
    what Specter flags now included (read first, for every shop, as an ordinary update)."""
    tenant = await gw.tenant(event.tenant_id)
    if not tenant.settings.import_products:
        raise PermanentError(import_off(tenant))
    account, tenants = await _account_and_tenants(gw, tenant.account_id)
    flagged = await _read_articles(gw, account, [t for t in tenants if t.id != tenant.id])
    from_store, after = 0, ""
    while page := await gw.store.specter_articles(account.id, after, IMPORT_PAGE):
        await gw.submit([ArticlesPush(tenant_id=tenant.id, account_id=tenant.account_id, items=page,
                                      importing=True).to_new_event()])
        from_store += len(page)
        after = page[-1].article.article_no
    result: dict[str, Any] = {"articles": from_store, "flagged": (flagged.result or {}).get("articles", 0)}
    if not from_store:
        result["help"] = NONE_FLAGGED
    return Outcome(result=result)


def import_off(tenant: Tenant) -> str:
    return f"product import is off for shop {tenant.id!r}: turn on import_products first"


async def _read_articles(gw: Gateway, account: SpecterAccount, tenants: list[Tenant]) -> Outcome:
    # The shops whose products take Specter's article data are those where Specter owns it.
    receivers = [t for t in tenants if owner_of("article", t.settings).specter_owns]
    client = await gw.specter(account)
    pages = articles = 0
    for _ in range(MAX_ROUNDS):
        wanted = new_batch_no()
        page, batch_no = await read_with_recovery(client.read_article_infos, wanted)
        if page.items:
            # Kept, and stored as one event per shop in one transaction, before the batch is
            # acknowledged.
            await gw.store.store_article_infos(account.id, page.items)
            await gw.submit([ArticlesPush(tenant_id=t.id, account_id=t.account_id, items=page.items,
                                          batch_no=batch_no).to_new_event() for t in receivers])
            pages += 1
            articles += len(page.items)
        await client.ack_article_infos(batch_no)
        await _acknowledged(gw, account, "article", batch_no)
        if batch_no == wanted and not page.more:
            break
    return Outcome(result={"articles": articles, "pages": pages, "shops": [t.id for t in receivers]})


# -- order status --------------------------------------------------------------------------------


async def pull_orders(gw: Gateway, event: OrdersChanged) -> Outcome:
    account, tenants = await _account_and_tenants(gw, event.account_id)
    receivers = [t for t in tenants if t.settings.order_status_sync]
    client = await gw.specter(account)
    changes = 0
    for _ in range(MAX_ROUNDS):
        wanted = new_batch_no()
        page, batch_no = await read_with_recovery(client.read_order_changes, wanted)
        if page.updates:
            await gw.submit([OrdersPush(tenant_id=t.id, account_id=t.account_id, updates=page.updates,
                                        batch_no=batch_no).to_new_event() for t in receivers])
            changes += len(page.updates)
        await client.ack_orders(batch_no)
        await _acknowledged(gw, account, "order", batch_no)
        if batch_no == wanted and not page.more:
            break
    return Outcome(result={"orders": changes, "shops": [t.id for t in receivers]})


async def order_removed(gw: Gateway, event: OrderRemoved) -> Outcome:
    """actionRemoveOrder: the order ``orderNo`` is gone from Specter; cancel it in its shop."""
    account, tenants = await _account_and_tenants(gw, event.account_id)
    order_no = event.order_no
    if not order_no:
        return Outcome(status="skipped", result={"reason": "the callback named no orderNo"})
    update = OrderStatusUpdate(specter_order_no=order_no, deleted=True, status_id=REMOVED)
    await gw.submit([OrdersPush(tenant_id=t.id, account_id=t.account_id, updates=[update]).to_new_event()
                     for t in tenants if t.settings.order_status_sync])
    return Outcome(result={"order_no": order_no})


async def invoice_created(gw: Gateway, event: InvoiceCreated) -> Outcome:
    """actionNewInvoice: nothing in the shop changes; the event log keeps it for support."""
    return Outcome(status="skipped", result={"reason": "invoices are kept in Specter", **event.query})
