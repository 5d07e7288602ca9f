"""An order that no longer holds stock in the shop: its articles get Specter's levels again.

A shop puts an order's items back in stock when the order is cancelled there (WooCommerce also
when an order goes back to pending payment); Specter does not follow. An order the shop owner
cancels still holds its stock in Specter, and an order Specter deleted gave its stock back there
already, so a shop that had that level pushed before it cancelled the order counts the items
twice. Either way the shop ends above Specter. So after such a change the gateway compares the
order's articles in the shop with Specter's levels and writes Specter's where they differ; where
they agree (the order's later echoes, a change reported again) nothing is written.
"""

from __future__ import annotations

from gateway.engine.context import TenantContext
from gateway.errors import TransientError
from gateway.events import StockRealign
from gateway.jobs.execute import Outcome
from gateway.model import Article, Order, ProductRow, StockLevel
from gateway.services import Gateway

# Order states in which a shop holds no stock for the order.
STOCK_RELEASED = frozenset({"pending", "cancelled", "refunded", "failed"})


async def levels_off(ctx: TenantContext, order: Order) -> list[StockLevel]:
    """Specter's level for each article of the order whose level in the shop differs from it
    (articles whose stock the shop does not keep, or Specter's level is unknown, are left out)."""
    if not ctx.settings.stock_sync:
        return []
    rows = [r for r in order.rows if isinstance(r, ProductRow) and r.article_no and r.shop_product_id]
    wanted = {r.article_no for r in rows}
    in_shop: dict[str, Article] = {}
    for product_id in sorted({r.shop_product_id for r in rows}):
        for article in await ctx.shop.fetch_product(product_id):
            if article.article_no in wanted and article.manage_stock and article.stock is not None:
                in_shop[article.article_no] = article
    specter = await ctx.gw.store.specter_levels(ctx.tenant.account_id, ctx.settings.stock_sites, list(in_shop))
    levels = []
    for article_no, article in sorted(in_shop.items()):
        if article_no not in specter:
            continue
        available = max(0, specter[article_no])  # a shop cannot sell fewer than none, as the push sends it
        if article.stock != available:
            levels.append(StockLevel(article_no=article_no, available=available, shop_id=article.shop_id,
                                     parent_shop_id=article.parent_shop_id or ""))
    return levels


async def ask_realign(ctx: TenantContext, order_id: str) -> bool:
    """Have the order's articles compared with Specter's levels, and written where they differ,
    by a job of their own (:class:`StockRealign`): it compares under the stock push's subject,
    so its write never races a push. Answers False when the shop gets no stock from Specter."""
    if not ctx.settings.stock_sync:
        return False
    tenant = ctx.tenant
    [(event_id, _)] = await ctx.gw.submit([StockRealign(tenant_id=tenant.id, account_id=tenant.account_id,
                                                        order_id=order_id).to_new_event()])
    await ctx.gw.store.link_events([(tenant.id, "order", order_id, event_id)])  # in the order's story
    return True


async def realign_after_release(ctx: TenantContext, order: Order) -> bool:
    """After the shop announced the order as no longer holding stock: ask for a realignment only
    when one of its articles shows another level than Specter's (only reads here), so the
    order's repeated announcements add nothing; answer whether it asked."""
    return bool(await levels_off(ctx, order)) and await ask_realign(ctx, order.shop_id)


async def realign_stock(gw: Gateway, event: StockRealign) -> Outcome:
    """Write Specter's level for each of the order's articles whose level in the shop still
    differs from it now."""
    ctx = await TenantContext.load(gw, event.tenant_id)
    order = await ctx.shop.fetch_order(event.order_id)
    if order is None:
        return Outcome(status="skipped", result={"reason": "the order no longer exists in the shop"})
    levels = await levels_off(ctx, order)
    if not levels:
        return Outcome(status="skipped", result={"reason": "the shop shows Specter's levels"})
    results = await ctx.shop.update_stock(levels)
    written = {level.article_no: level.available for level, result in zip(levels, results, strict=True) if result.ok}
    failed = {level.article_no: result for level, result in zip(levels, results, strict=True) if not result.ok}
    if any(result.transient for result in failed.values()):
        raise TransientError("; ".join(f"{a}: {r.error}" for a, r in failed.items()))
    outcome: dict[str, object] = {"written": written}
    if failed:
        outcome["not_in_shop"] = {a: r.error for a, r in failed.items()}
    return Outcome(status="done" if written else "skipped", result=outcome)
