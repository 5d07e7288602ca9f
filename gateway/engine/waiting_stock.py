"""Stock levels for products a shop does not have yet.

Specter flags an article's level as soon as it has one, often before the product exists in a
shop (the import creates it later, or someone adds it by hand). Such a level is not dropped: the
push parks it, and it goes to the shop once the product is there.
"""

from __future__ import annotations

from gateway.engine.context import TenantContext
from gateway.events import StockPush


async def stock_for_new_products(ctx: TenantContext, article_nos: list[str], *, created: bool) -> int:
    """Products that are new in the shop get Specter's level: every level kept for them when
    the gateway created them, else those that waited for them. Answers how many levels go."""
    if not ctx.settings.stock_sync or not article_nos:
        return 0
    store, tenant = ctx.gw.store, ctx.tenant
    if created:
        count = await store.resend_stock(tenant.id, tenant.account_id, article_nos)
    else:
        count = await store.wake_stock(tenant.id, article_nos)
    if count:
        await ctx.gw.submit([StockPush(tenant_id=tenant.id, account_id=tenant.account_id).to_new_event()])
    return count
