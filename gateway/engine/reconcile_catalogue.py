"""Reconciliation, the catalogue: the shop's stock levels and prices against Specter's.

Specter's side is the store's copy (its levels per stock site, and every article read from
Specter), refreshed by the account's pulls just before (gateway/engine/reconcile.py). The shop is
read page by page (``iter_products``), each page compared with one look-up per kind in the store,
so memory does not grow with the catalogue (beyond the article numbers seen, kept only for a shop
that imports Specter's articles, to name those it lacks).

Only what Specter owns is healed (gateway/engine/ownership.py): stock always, prices while
Specter owns the article data; a price the shop owns is not drift. Healing goes through the
ordinary pushes, so what no longer differs when the push runs is not written:

- a stock level: the level the shop showed becomes "the level last written" and Specter's is
  made pending, so the stock push writes Specter's where the two differ. A level already pending
  is on its way and left to its push;
- a price: the article goes in an article push marked ``drifted``, which writes Specter's data
  even where the gateway last wrote the same.

An article one side has and the other lacks is listed for a person: a shop product Specter has
never reported and the gateway never sent (with what keeps it from being exported, if
anything), and, for a shop that imports Specter's articles, one of Specter's the shop lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gateway.engine.context import TenantContext
from gateway.engine.export import Progress
from gateway.engine.ownership import owner_of
from gateway.engine.products import export_problem
from gateway.events import ArticlesPush, StockPush
from gateway.model import Article
from gateway.specter.wire import ArticleInfo
from gateway.store.base import Drift, NeedsPerson, Reconciliation

PAGE = 100  # shop articles a page
SPECTER_PAGE = 500  # Specter's kept articles read at once, looking for those the shop lacks
CENT = Decimal("0.01")

NEVER_IN_SPECTER = ("Specter has never reported this article and the gateway never sent it: export the shop's "
                    "products (new)")
NOT_IN_SHOP = ("Specter has it and the shop imports Specter's articles, but the shop has no product with this "
               "article number: import products again, and see the import's events for why it was not created")


async def compare_catalogue(ctx: TenantContext, report: Reconciliation, progress: Progress | None = None) -> None:
    """Compare every shop article with Specter's copy, heal the drift Specter owns, and add to
    ``report`` what was healed and what needs a person."""
    settings = ctx.settings
    articles_owner = owner_of("article", settings)
    comparison = _Comparison(ctx, report, stock=settings.stock_sync, prices=articles_owner.specter_owns,
                             seen=set() if settings.import_products else None)
    if not comparison.stock:
        report.notes.append("stock levels not compared: stock sync is off")
    if not comparison.prices:
        report.notes.append(f"prices not compared: {articles_owner.because}")
    async for page in ctx.shop.iter_products(PAGE):
        await comparison.page(page)
        if progress:
            progress(report.articles)
    if comparison.stock_pending:
        tenant = ctx.tenant
        await ctx.gw.submit([StockPush(tenant_id=tenant.id, account_id=tenant.account_id).to_new_event()])
    if comparison.seen is not None:
        await comparison.missing_in_shop()


@dataclass
class _Comparison:
    ctx: TenantContext
    report: Reconciliation
    stock: bool  # compare stock levels (stock sync is on)
    prices: bool  # compare prices (Specter owns the article data)
    seen: set[str] | None  # the shop's article numbers, when Specter's are to be looked for
    stock_pending: bool = False  # drifted levels were made pending: a stock push must run

    async def page(self, articles: list[Article]) -> None:
        ctx, store, report = self.ctx, self.ctx.gw.store, self.report
        account_id, tenant_id = ctx.tenant.account_id, ctx.tenant.id
        articles = [a for a in articles if not a.is_package]  # never exported, never synced
        numbers = sorted({a.article_no for a in articles if a.article_no})
        levels = await store.specter_levels(account_id, ctx.settings.stock_sites, numbers) if self.stock else {}
        on_the_way = await store.stock_on_the_way(tenant_id, list(levels)) if levels else set()
        infos = await store.specter_articles_by_no(account_id, numbers) if numbers else {}
        origins = await store.article_origins(account_id, numbers) if numbers else {}
        shop_levels: list[tuple[str, int]] = []
        drifted: list[ArticleInfo] = []
        for article in articles:
            report.articles += 1
            number = article.article_no
            if self.seen is not None and number:
                self.seen.add(number)
            if not (number in levels or number in infos or number in origins):
                problem = export_problem(article)
                report.found(NeedsPerson(what="article", key=number or article.shop_id, label=article.name,
                                         problem="missing_in_specter",
                                         reason=f"the shop's product {problem}" if problem else NEVER_IN_SPECTER))
                continue
            if number in levels and article.manage_stock and article.stock is not None and number not in on_the_way:
                specter = max(0, levels[number])  # a shop cannot sell fewer than none, as the push sends it
                if article.stock != specter:
                    shop_levels.append((number, article.stock))
                    report.stock_drifted(Drift(article_no=number, shop=str(article.stock), specter=str(specter)))
            info = infos.get(number)
            if self.prices and info is not None and (drift := price_drift(article, info.article)) is not None:
                drifted.append(info)
                report.price_drifted(drift)
        if shop_levels:
            await store.stock_drifted(tenant_id, account_id, shop_levels)
            self.stock_pending = True
        if drifted:
            await ctx.gw.submit([ArticlesPush(tenant_id=tenant_id, account_id=account_id, items=drifted,
                                              drifted=True).to_new_event()])

    async def missing_in_shop(self) -> None:
        """Specter's articles the shop lacks though it imports them (one Specter keeps out of the
        web shop only where the import would create it)."""
        ctx, seen = self.ctx, self.seen or set()
        settings = ctx.settings
        drafts = settings.unpublished_articles == "draft" and ctx.shop.can_create_unpublished
        after = ""
        while page := await ctx.gw.store.specter_articles(ctx.tenant.account_id, after, SPECTER_PAGE):
            for info in page:
                article = info.article
                if article.article_no not in seen and (article.published is not False or drafts):
                    self.report.found(NeedsPerson(what="article", key=article.article_no, label=article.name,
                                                  problem="missing_in_shop", reason=NOT_IN_SHOP))
            after = page[-1].article.article_no


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


def _shown(value: Decimal | None) -> str:
    return "none" if value is None else str(value)


def price_drift(shop: Article, specter: Article) -> Drift | None:
    """How the shop's price differs from Specter's, to the cent (a shop that keeps prices with
    VAT gives back Specter's within a fraction of one); None when it does not. The sale price
    is compared only where the shop shows one: a shop that keeps none reports none, and asking
    it again would never end."""
    number = shop.article_no
    if specter.price_ex_vat is not None and _cents(shop.price_ex_vat) != _cents(specter.price_ex_vat):
        return Drift(article_no=number, shop=_shown(shop.price_ex_vat), specter=_shown(specter.price_ex_vat))
    if shop.sale_price_ex_vat is not None and _cents(shop.sale_price_ex_vat) != _cents(specter.sale_price_ex_vat):
        return Drift(article_no=number, shop=f"on sale at {shop.sale_price_ex_vat}",
                     specter=f"on sale at {specter.sale_price_ex_vat}" if specter.sale_price_ex_vat else "not on sale")
    return None
