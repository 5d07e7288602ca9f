"""Specter to shop, second half: what was read from Specter and stored, written to each shop.

Each shop on a Specter account gets jobs of its own, so a slow or failing shop only delays
itself. Stock goes as the latest level per article (levels that changed again while a push was
under way are sent again), in batches of 100, a few requests in flight per shop.
"""

from __future__ import annotations

import asyncio
import time

from gateway.engine.context import TenantContext, fingerprint
from gateway.engine.products import exported_fields
from gateway.engine.waiting_stock import stock_for_new_products
from gateway.errors import PermanentError, TransientError
from gateway.events import ArticlesPush, StockChanged, StockPush, StockResync
from gateway.jobs.execute import Outcome
from gateway.model import Article, StockLevel
from gateway.rules.apply import apply_rules
from gateway.rules.run import Skipped
from gateway.services import Gateway
from gateway.store.base import PendingLevel

STOCK_BATCH = 100  # articles per shop request
EXAMPLES = 20  # how many article numbers a result names, at most

PRICE_FIELDS = frozenset({"price_ex_vat", "sale_price_ex_vat"})
ARTICLE_FIELDS = PRICE_FIELDS | {"name", "vat_percent", "weight_kg", "barcode"}
TEXT_FIELDS = frozenset({"description", "short_description"})  # only when published to the web shop


# -- stock ---------------------------------------------------------------------------------------


async def push_stock(gw: Gateway, event: StockPush) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    if not ctx.settings.stock_sync:
        return Outcome(status="skipped", result={"reason": "stock sync is off"})
    pusher = _StockPusher(ctx)
    passes = 0
    while True:  # a pass sends what is pending; levels that changed meanwhile need another
        passes += 1
        if not await pusher.one_pass(max(1, gw.config.stock_requests_in_flight)):
            break
        if pusher.later:
            raise TransientError(f"{len(pusher.later)} stock updates must be tried again: {pusher.later[0]}")
    unknown = pusher.site_unknown
    return Outcome(result={"sent": pusher.sent, "unchanged": pusher.unchanged, "not_in_shop": pusher.not_in_shop,
                           "not_in_shop_count": pusher.not_in_shop_count, "passes": passes,
                           "site_unknown": unknown[:EXAMPLES], "site_unknown_count": len(unknown),
                           **({"skipped_by_rule": pusher.skipped_by_rule} if pusher.skipped_by_rule else {})})


class _StockPusher:
    """Sends a tenant's pending levels with a few requests in flight: each worker takes the
    next 100 (in article number order, so none is sent twice in a pass), sends them, and clears
    what the shop took while the others wait on the shop."""

    def __init__(self, ctx: TenantContext):
        self.ctx = ctx
        self.sent = 0
        self.unchanged = 0  # levels this shop was last given already
        self.not_in_shop: list[str] = []
        self.not_in_shop_count = 0
        self.site_unknown: list[str] = []
        self.skipped_by_rule: list[str] = []
        self.later: list[str] = []
        self._after = ""
        self._take = asyncio.Lock()
        self._found_any = False

    async def one_pass(self, in_flight: int) -> bool:
        """Send everything pending once; answer whether there was anything."""
        self._after, self._found_any, self.later = "", False, []
        await asyncio.gather(*(self._worker() for _ in range(in_flight)))
        return self._found_any

    async def _next_chunk(self) -> list[PendingLevel]:
        ctx = self.ctx
        async with self._take:
            rows = await ctx.gw.store.pending_stock(ctx.tenant.id, ctx.tenant.account_id, ctx.settings.stock_sites,
                                                    STOCK_BATCH, after=self._after)
            if rows:
                self._after, self._found_any = rows[-1].article_no, True
            return rows

    async def _worker(self) -> None:
        ctx, store = self.ctx, self.ctx.gw.store
        while rows := await self._next_chunk():
            # A total kept from before levels were kept per site says nothing about the chosen
            # sites: the shop keeps what it has rather than getting a made-up 0.
            unknown = [(r.article_no, r.version) for r in rows if r.available is None]
            if unknown:
                self.site_unknown += [a for a, _ in unknown]
                await store.clear_pending_stock(ctx.tenant.id, unknown)
            # What this shop was last given is not written again: every write comes back as a
            # product change, and Specter flags levels that did not change (a delivery moves
            # stock from reserved to gone, leaving what may be sold as it was).
            known: dict[str, tuple[int, int]] = {}
            unchanged: list[tuple[str, int]] = []
            for r in rows:
                if r.available is None:
                    continue
                available = max(0, r.available)  # a shop cannot sell fewer than none
                if available == r.written:
                    unchanged.append((r.article_no, r.version))
                else:
                    known[r.article_no] = (available, r.version)
            if unchanged:
                self.unchanged += len(unchanged)
                await store.clear_pending_stock(ctx.tenant.id, unchanged)
            if not known:
                continue
            hints = await store.bindings_by_specter_nos(ctx.tenant.id, "article", list(known))
            levels = [
                StockLevel(article_no=a, available=available,
                           shop_id=hints[a].shop_id if a in hints else "",
                           parent_shop_id=hints[a].parent_shop_id if a in hints else "")
                for a, (available, _) in known.items()
            ]
            # The shop's article numbers, as the tenant's rules give them; ``levels`` keep Specter's.
            levels, to_shop = await _ruled_levels(self, levels, known)
            try:
                results = await ctx.shop.update_stock(to_shop)
            except PermanentError:
                raise  # e.g. the shop refuses the API key: a person must look
            except Exception as exc:  # noqa: BLE001 - the shop failing now: try the pass again later
                self.later.append(str(exc) or type(exc).__name__)
                continue
            done, waiting = [], []
            for level, result in zip(levels, results, strict=True):
                version = known[level.article_no][1]
                if result.ok:
                    done.append((level.article_no, version, level.available))
                    self.sent += 1
                elif result.transient:
                    self.later.append(result.error or "")
                else:  # not in this shop (yet): the level waits for the product to appear
                    waiting.append((level.article_no, version))
                    self.not_in_shop_count += 1
                    if len(self.not_in_shop) < EXAMPLES:
                        self.not_in_shop.append(f"{level.article_no}: {result.error}")
            await store.stock_written(ctx.tenant.id, done)
            if waiting:
                await store.park_stock(ctx.tenant.id, waiting)


async def _ruled_levels(pusher: _StockPusher, levels: list[StockLevel], known: dict[str, tuple[int, int]]
                        ) -> tuple[list[StockLevel], list[StockLevel]]:
    """The levels to send, as Specter numbers them and as the shop gets them; a level a rule
    skips is done with (not sent, not pending)."""
    ctx, kept, to_shop, skipped = pusher.ctx, [], [], []
    for level in levels:
        ruled = await apply_rules(ctx, "stock_from_specter", level)
        if isinstance(ruled, Skipped):
            skipped.append((level.article_no, known[level.article_no][1]))
            if len(pusher.skipped_by_rule) < EXAMPLES:
                pusher.skipped_by_rule.append(f"{level.article_no}: {ruled}")
        else:
            kept.append(level)
            to_shop.append(ruled)
    if skipped:
        await ctx.gw.store.clear_pending_stock(ctx.tenant.id, skipped)
    return kept, to_shop


async def resync_stock(gw: Gateway, event: StockResync) -> Outcome:
    """"Update stock now": send every level the gateway keeps for the account to this shop,
    and read what Specter has flagged since (that read's levels follow by the same push)."""
    tenant = await gw.tenant(event.tenant_id)
    await gw.submit([StockChanged(account_id=tenant.account_id).to_new_event()])
    pending = await gw.store.resend_all_stock(tenant.id, tenant.account_id)
    await gw.submit([StockPush(tenant_id=tenant.id, account_id=tenant.account_id).to_new_event()])
    return Outcome(result={"articles": pending})


# -- article data and the product import ------------------------------------------------------


async def push_articles(gw: Gateway, event: ArticlesPush) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    settings = ctx.settings
    importing = event.importing or settings.import_products
    fields = PRICE_FIELDS if settings.import_price_only else ARTICLE_FIELDS
    categories: dict[str, str] = {}
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "not_in_shop": [],
                                     "unpublished": [], "skipped_by_rule": []}
    # Specter's "not for the web shop" is honoured when a product is created only: one already in
    # the shop keeps the visibility its owner gave it.
    drafts = settings.unpublished_articles == "draft" and ctx.shop.can_create_unpublished
    for info in event.items:
        specter_no = info.article.article_no
        ruled = await apply_rules(ctx, "article_from_specter", info.article)
        if isinstance(ruled, Skipped):
            outcome["skipped_by_rule"].append(f"{specter_no}: {ruled}")
            continue
        article = ruled  # as the shop gets it: its article number the shop's
        wanted = fields | (TEXT_FIELDS if info.publish_in_webshop and not settings.import_price_only else frozenset())
        shop_id = await ctx.shop.find_product(article.article_no)
        if shop_id is None and not importing:
            outcome["not_in_shop"].append(specter_no)
            continue
        if shop_id is None and article.published is False and not drafts:
            outcome["unpublished"].append(specter_no)
            continue
        category_id = None
        if article.group is not None and settings.article_group_creates_category and not settings.import_price_only:
            code = article.group.code
            if code not in categories:
                categories[code] = await ctx.shop.upsert_category(article.group, active=settings.category_active)
            if shop_id is None or settings.move_product_to_group_category:
                category_id = categories[code]
        written = fingerprint([[getattr(article, f) for f in sorted(wanted)], category_id])
        known = await ctx.binding("article", shop_id) if shop_id is not None else None
        # What the gateway last wrote says nothing of a shop a reconciliation found edited since.
        if known is not None and known.to_shop_fp == written and not event.drifted:
            outcome["unchanged"].append(specter_no)
            continue
        new_id = await ctx.shop.upsert_product(article, category_id=category_id,
                                               fields=wanted if shop_id else frozenset(Article.__struct_fields__))
        outcome["created" if shop_id is None else "updated"].append(specter_no)
        await ctx.bind("article", new_id, specter_no=specter_no, to_shop_fp=written, to_shop_at=time.time(),
                       **({"origin": "specter"} if shop_id is None else {}))
        await _expect_echo(ctx, new_id, article.article_no, specter_no)
    await stock_for_new_products(ctx, outcome["created"], created=True)
    if not outcome["skipped_by_rule"]:
        del outcome["skipped_by_rule"]
    changed = outcome["created"] or outcome["updated"]
    result: dict[str, object] = {k: v[:EXAMPLES] for k, v in outcome.items()}
    result |= {f"{k}_count": len(v) for k, v in outcome.items()}
    if outcome["unpublished"]:
        result["unpublished_reason"] = (
            "Specter does not publish these in the web shop, and unpublished_articles is skip"
            if settings.unpublished_articles == "skip"
            else f"Specter does not publish these in the web shop, and a {ctx.shop.platform} shop cannot hold a "
                 "product unpublished")
    return Outcome(status="done" if changed else "skipped", result=result)


async def _expect_echo(ctx: TenantContext, shop_id: str, article_no: str, specter_no: str) -> None:
    """The shop will announce the gateway's own write as a product change: remember the
    product as it is now, so that echo is not exported back to Specter. While Specter owns the
    article data nothing of it is exported anyway (gateway/engine/ownership.py); the print
    keeps the echo from going once the shop owns its products' data again (article_sync and
    import_products turned off), when only a later change in the shop differs from it."""
    for article in await ctx.shop.fetch_product(shop_id):
        if article.article_no == article_no:
            # Printed as the article flow would send it: with the number the tenant's rules give.
            sent = await apply_rules(ctx, "article_to_specter", article)
            sent = article if isinstance(sent, Skipped) else sent
            await ctx.bind("article", article.shop_id or shop_id, specter_no=specter_no,
                           parent_shop_id=article.parent_shop_id or "",
                           to_specter_fp=fingerprint(exported_fields(sent)), to_specter_at=time.time())
