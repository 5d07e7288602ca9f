"""Products, shop to Specter: on change, on delete, and before an order that needs them.

Specter is master of stock: a product's stock goes to Specter only as the initial stock of an
article new to Specter (Specter ignores initial stock for an article it has), and a
product change that is only the shop's echo of a stock update is never exported.
"""

from __future__ import annotations

import time

from gateway.engine.context import TenantContext, fingerprint
from gateway.engine.waiting_stock import stock_for_new_products
from gateway.errors import PermanentError
from gateway.events import ShopProduct
from gateway.jobs.execute import Outcome
from gateway.model import Article, ProductRow
from gateway.services import Gateway
from gateway.specter.limits import article_problem
from gateway.store.base import Binding

BATCH = 100  # Specter integrations send at most 100 articles a request


def export_problem(article: Article) -> str | None:
    """Why this article is not sent to Specter, or None."""
    if article.is_package:
        return "is a product package, which the integration does not export"
    return article_problem(article)


def exported_fields(article: Article) -> list[object]:
    """What Specter gets of an article, without stock: a change only to stock (the shop's echo of
    the gateway's own stock write, or an order reducing it) is no change at all."""
    return [article.article_no, article.name, article.price_ex_vat, article.vat_percent, article.weight_kg,
            article.barcode, article.buy_price]


# What sending an article changes in its binding; the origin is set only when it is new.
SENT_COLUMNS = frozenset({"specter_no", "parent_shop_id", "to_specter_fp", "to_specter_at"})


def sent_bindings(ctx: TenantContext, articles: list[Article]) -> list[Binding]:
    """The bindings of articles just sent to Specter (store them with ``columns=SENT_COLUMNS``).
    Keyed by the product or variation, with its parent: a deleted variable product names only
    itself."""
    now = time.time()
    return [ctx.new_binding("article", a.shop_id or a.article_no, specter_no=a.article_no,
                            parent_shop_id=a.parent_shop_id or "", origin=ctx.tenant.id,
                            to_specter_fp=fingerprint(exported_fields(a)), to_specter_at=now)
            for a in articles]


async def send_articles(ctx: TenantContext, articles: list[Article], *, update_existing: bool) -> None:
    """Send checked articles in batches of 100 and bind them."""
    settings = ctx.settings
    for start in range(0, len(articles), BATCH):
        chunk = articles[start : start + BATCH]
        await ctx.specter.submit_articles(
            chunk, force_update=update_existing, create_stock=True,
            webshop_id=settings.webshop_id, stock_site_id=settings.stock_site_id,
        )
        await ctx.gw.store.put_bindings(sent_bindings(ctx, chunk), columns=SENT_COLUMNS)


async def ensure_articles(ctx: TenantContext, rows: list[ProductRow]) -> list[str]:
    """Make sure Specter has every article an order names, exporting the missing ones first;
    answer the article numbers exported now."""
    missing: dict[str, ProductRow] = {}
    for row in rows:
        if row.article_no and row.article_no not in missing:
            if await ctx.binding_by_no("article", row.article_no) is None:
                missing[row.article_no] = row
    if not missing:
        return []
    articles: dict[str, Article] = {}
    for row in missing.values():
        if row.shop_product_id:
            for article in await ctx.shop.fetch_product(row.shop_product_id):
                articles.setdefault(article.article_no, article)
    to_send = []
    for article_no, row in missing.items():
        article = articles.get(article_no) or Article(
            article_no=article_no, name=row.name, price_ex_vat=row.unit_price_ex_vat, vat_percent=row.vat_percent
        )
        problem = export_problem(article)
        if problem:
            raise PermanentError(f"order row {row.name!r}: {problem}")
        to_send.append(article)
    # Not forced: an article Specter already has (sent by someone else) is left as it is.
    await send_articles(ctx, to_send, update_existing=False)
    return [a.article_no for a in to_send]


async def handle_product_event(gw: Gateway, event: ShopProduct) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    product_id = event.object_id
    if event.action == "deleted":
        return await _delete(ctx, product_id)
    # Stock levels read before the product existed in the shop wait for it.
    stock_waits = await gw.store.has_waiting_stock(ctx.tenant.id)
    if not ctx.settings.export_product_on_change and not stock_waits:
        return Outcome(status="skipped", result={"reason": "export product on change is off"})
    articles = await ctx.shop.fetch_product(product_id)
    if stock_waits:
        await stock_for_new_products(ctx, [a.article_no for a in articles if a.article_no], created=False)
    if not ctx.settings.export_product_on_change:
        return Outcome(status="skipped", result={"reason": "export product on change is off"})
    if not articles:
        return Outcome(status="skipped", result={"reason": "the product no longer exists in the shop"})
    refused = {a.shop_id or a.article_no or "?": p for a in articles if (p := export_problem(a))}
    changed = []
    for article in articles:
        if (article.shop_id or article.article_no or "?") in refused:
            continue
        known = await ctx.binding("article", article.shop_id or article.article_no)
        if known is None or known.to_specter_fp != fingerprint(exported_fields(article)):
            changed.append(article)
    if changed:
        await send_articles(ctx, changed, update_existing=True)
    result = {"sent": [a.article_no for a in changed], "refused": refused}
    if refused and not changed:
        raise PermanentError("; ".join(f"product {shop_id}: {why}" for shop_id, why in refused.items()))
    if not changed:
        return Outcome(status="skipped", result=result | {"reason": "nothing Specter keeps has changed"})
    return Outcome(result=result)


async def _delete(ctx: TenantContext, product_id: str) -> Outcome:
    if not ctx.settings.delete_from_specter:
        return Outcome(status="skipped", result={"reason": "delete from Specter is off"})
    store, tenant_id = ctx.gw.store, ctx.tenant.id
    # The product itself, or (a variable product) its variants, found by their parent.
    single = await ctx.binding("article", product_id)
    bound = ([single] if single else []) + await store.bindings_by_parent(tenant_id, "article", product_id)
    if not bound:
        return Outcome(status="skipped", result={"reason": "Specter never got this product"})
    for binding in bound:
        await ctx.specter.delete_article(binding.specter_no)
        await store.remove_binding(tenant_id, "article", binding.shop_id)
    return Outcome(result={"deleted": [b.specter_no for b in bound]})
