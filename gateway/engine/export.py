"""Bulk export of a shop's catalogue and customers to Specter (the connectors' "export all").

The catalogue is streamed page by page, so memory does not grow with it (beyond the set of
article numbers seen, to refuse duplicates). ``new`` leaves articles Specter already has
untouched; ``all`` updates them (this shop's own; see :func:`_send`), but never their stock:
Specter is master of stock, and takes initial stock only for an article new to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import msgspec

from gateway.engine.context import TenantContext
from gateway.engine.customers import customer_key, ensure_customer
from gateway.engine.products import BATCH, SENT_COLUMNS, export_problem, sent_bindings, shared_with
from gateway.errors import PermanentError
from gateway.events import Export, ExportMode, ExportProducts
from gateway.jobs.execute import Outcome
from gateway.model import Article
from gateway.rules.apply import SkippedByRule, apply_rules
from gateway.rules.run import Skipped
from gateway.services import Gateway

Progress = Callable[[int], None]


class Refused(msgspec.Struct):
    shop_id: str
    article_no: str
    reason: str


class ExportReport(msgspec.Struct, kw_only=True):
    what: str
    mode: str
    seen: int = 0
    sent: int = 0
    refused: list[Refused] = []


async def export_products(ctx: TenantContext, mode: ExportMode, progress: Progress | None = None) -> ExportReport:
    report = ExportReport(what="products", mode=mode)
    seen_numbers: dict[str, str] = {}
    pending: list[Article] = []
    async for page in ctx.shop.iter_products(BATCH):
        for article in page:
            report.seen += 1
            ruled = await apply_rules(ctx, "article_to_specter", article)
            if isinstance(ruled, Skipped):
                report.refused.append(Refused(article.shop_id, article.article_no, str(ruled)))
                continue
            article = ruled
            reason = export_problem(article)
            if reason is None and article.article_no in seen_numbers:
                other = seen_numbers[article.article_no]
                reason = f"article number {article.article_no!r} is also used by product {other}"
            if reason:
                report.refused.append(Refused(article.shop_id, article.article_no, reason))
                continue
            seen_numbers[article.article_no] = article.shop_id
            pending.append(article)
            if len(pending) == BATCH:
                await _send(ctx, pending, mode)
                report.sent += len(pending)
                pending = []
        if progress:
            progress(report.seen)
    if pending:
        await _send(ctx, pending, mode)
        report.sent += len(pending)
    if progress:
        progress(report.seen)
    return report


async def _send(ctx: TenantContext, articles: list[Article], mode: ExportMode) -> None:
    """``all`` overwrites this shop's own articles only: one another shop on the account
    exported, or that came from Specter, is created if missing but not overwritten unless
    update_shared_articles is on."""
    settings, tenant_id = ctx.settings, ctx.tenant.id
    origins = await ctx.gw.store.article_origins(ctx.tenant.account_id, [a.article_no for a in articles])
    forced = [mode == "all" and (settings.update_shared_articles
                                 or not shared_with(origins.get(a.article_no, set()), tenant_id)) for a in articles]
    overwrite = [a for a, force in zip(articles, forced, strict=True) if force]
    create_only = [a for a, force in zip(articles, forced, strict=True) if not force]
    for chunk, force in ((overwrite, True), (create_only, False)):
        if chunk:
            await ctx.specter.submit_articles(
                chunk, force_update=force, create_stock=True,
                webshop_id=settings.webshop_id, stock_site_id=settings.stock_site_id,
            )
            await ctx.gw.store.put_bindings(sent_bindings(ctx, chunk, origins), columns=SENT_COLUMNS)


async def export_customers(ctx: TenantContext, progress: Progress | None = None) -> ExportReport:
    report = ExportReport(what="customers", mode="all")
    async for page in ctx.shop.iter_customers(BATCH):
        for customer in page:
            report.seen += 1
            try:
                _, sent = await ensure_customer(ctx, customer)
            except (PermanentError, SkippedByRule) as exc:
                report.refused.append(Refused(customer_key(customer), "", str(exc)))
                continue
            report.sent += int(sent)
        if progress:
            progress(report.seen)
    return report


async def handle_export_event(gw: Gateway, event: Export) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    progress = progress_writer(gw, event.id)
    if isinstance(event, ExportProducts):
        report = await export_products(ctx, event.mode, progress)
    else:
        report = await export_customers(ctx, progress)
    return Outcome(result=msgspec.to_builtins(report))


PROGRESS_SECONDS = 0.5


def progress_writer(gw: Gateway, event_id: int) -> Progress:
    """A progress callback that writes the count read so far into the running event (for the
    admin console), at most every PROGRESS_SECONDS: a write per page would slow the export."""
    last = float("-inf")
    writing: set[asyncio.Task[None]] = set()  # keeps the write tasks referenced until they finish

    def step(seen: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_SECONDS:
            return
        last = now
        task = asyncio.create_task(gw.store.update_event_progress(event_id, {"seen": seen}))
        writing.add(task)
        task.add_done_callback(writing.discard)

    return step
