"""Products, shop to Specter: on change, on delete, and before an order that needs them.

What goes follows who owns what (gateway/engine/ownership.py). Specter is master of stock: a
product's stock goes to Specter only as the initial stock of an article new to Specter (Specter
ignores initial stock for an article it has), and a product change that is only the shop's echo
of a stock update is never exported. While Specter owns the article data, a change to an article
Specter has is not exported at all. Shops on one account may sell the same article number: an
article another shop created, or that came from Specter, is never overwritten unless the tenant's
update_shared_articles says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gateway.engine.context import TenantContext, fingerprint
from gateway.engine.ownership import Ownership, owner_of
from gateway.engine.waiting_stock import stock_for_new_products
from gateway.errors import PermanentError
from gateway.events import ShopProduct
from gateway.jobs.execute import Outcome
from gateway.model import Article, ProductRow
from gateway.rules.apply import apply_each, skipped_result
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


# What sending an article changes in its binding.
SENT_COLUMNS = frozenset({"specter_no", "parent_shop_id", "origin", "to_specter_fp", "to_specter_at"})


def creator(origins: set[str], tenant_id: str) -> str:
    """Who created the Specter article, from what the store knows of its number: this tenant
    when it did (or nobody did yet: this send creates it), else another shop or "specter".

    Looked up before sending, not in one transaction with it: two shops sending a number new to
    Specter at the same moment both record themselves as its creator, and each may then update
    it, as every shop could before. Locking the number across tenants for a send to Specter
    would hold a write lock for a network call; the rare tie is the lesser harm."""
    if not origins or tenant_id in origins:
        return tenant_id
    return min(origins)


def sent_bindings(ctx: TenantContext, articles: list[Article], origins: dict[str, set[str]]) -> list[Binding]:
    """The bindings of articles just sent to Specter (store them with ``columns=SENT_COLUMNS``).
    Keyed by the product or variation, with its parent: a deleted variable product names only
    itself. ``origins`` is the store's ``article_origins`` for them."""
    now, tenant_id = time.time(), ctx.tenant.id
    return [ctx.new_binding("article", a.shop_id or a.article_no, specter_no=a.article_no,
                            parent_shop_id=a.parent_shop_id or "",
                            origin=creator(origins.get(a.article_no, set()), tenant_id),
                            to_specter_fp=fingerprint(exported_fields(a)), to_specter_at=now)
            for a in articles]


async def send_articles(ctx: TenantContext, articles: list[Article], *, update_existing: bool,
                        origins: dict[str, set[str]]) -> None:
    """Send checked articles in batches of 100 and bind them."""
    settings = ctx.settings
    for start in range(0, len(articles), BATCH):
        chunk = articles[start : start + BATCH]
        await ctx.specter.submit_articles(
            chunk, force_update=update_existing, create_stock=True,
            webshop_id=settings.webshop_id, stock_site_id=settings.stock_site_id,
        )
        await ctx.gw.store.put_bindings(sent_bindings(ctx, chunk, origins), columns=SENT_COLUMNS)


def shared_with(origins: set[str], tenant_id: str) -> str | None:
    """Whose article this is when it is not this tenant's own: another shop's on the account, or
    Specter's (it came from Specter); None when this tenant created it or nobody has."""
    other = creator(origins, tenant_id)
    return None if other == tenant_id else other


def shared_reason(article_no: str, owner: str, never: str) -> str:
    """Why a shared article is left as it is in Specter (``never``: "overwrites" or "deletes")."""
    whose = "came from Specter" if owner == "specter" else f"was exported by shop {owner}"
    return f"article {article_no} {whose}, and update_shared_articles is off: this shop never {never} it"


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
            # As the article flow sends them: the order's rows carry the numbers its rules gave.
            found, _ = await apply_each(ctx, "article_to_specter", await ctx.shop.fetch_product(row.shop_product_id))
            for article in found:
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
    origins = await ctx.gw.store.article_origins(ctx.tenant.account_id, [a.article_no for a in to_send])
    await send_articles(ctx, to_send, update_existing=False, origins=origins)
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
    articles, by_rule = await apply_each(ctx, "article_to_specter", await ctx.shop.fetch_product(product_id))
    if stock_waits:
        await stock_for_new_products(ctx, [a.article_no for a in articles if a.article_no], created=False)
    if not ctx.settings.export_product_on_change:
        return Outcome(status="skipped", result={"reason": "export product on change is off"})
    if by_rule and not articles:
        return Outcome(status="skipped", result=skipped_result(by_rule[0][1]))
    if not articles:
        return Outcome(status="skipped", result={"reason": "the product no longer exists in the shop"})
    refused = {a.shop_id or a.article_no or "?": p for a in articles if (p := export_problem(a))}
    valid = [a for a in articles if (a.shop_id or a.article_no or "?") not in refused]
    plan = await _plan(ctx, valid)
    if plan.overwrite:
        await send_articles(ctx, plan.overwrite, update_existing=True, origins=plan.origins)
    if plan.create_only:
        await send_articles(ctx, plan.create_only, update_existing=False, origins=plan.origins)
    sent = plan.overwrite + plan.create_only
    result: dict[str, object] = {"sent": [a.article_no for a in sent], "refused": refused}
    if by_rule:
        result["skipped_by_rule"] = [f"{a.article_no}: {why}" for a, why in by_rule]
    if plan.kept:
        result |= {"kept_in_specter": plan.kept, "owner": plan.ownership.because}
    if plan.not_overwritten:
        result["not_overwritten"] = plan.not_overwritten
    if refused and not sent:
        raise PermanentError("; ".join(f"product {shop_id}: {why}" for shop_id, why in refused.items()))
    if not sent:
        reason = f"not exported: {plan.ownership.because}" if plan.kept else "nothing Specter keeps has changed"
        return Outcome(status="skipped", result=result | {"reason": reason})
    return Outcome(result=result)


@dataclass
class _Plan:
    """What a product change sends to Specter: overwriting, creating only, or nothing."""

    ownership: Ownership
    origins: dict[str, set[str]]
    overwrite: list[Article] = field(default_factory=list)
    create_only: list[Article] = field(default_factory=list)  # Specter creates it if missing, never overwrites
    kept: list[str] = field(default_factory=list)  # Specter owns their data: not exported
    not_overwritten: list[str] = field(default_factory=list)  # why a shared article is only created if missing


async def _plan(ctx: TenantContext, articles: list[Article]) -> _Plan:
    ownership = owner_of("article", ctx.settings)
    origins = await ctx.gw.store.article_origins(ctx.tenant.account_id, [a.article_no for a in articles])
    plan = _Plan(ownership, origins)
    for article in articles:
        known = await ctx.binding("article", article.shop_id or article.article_no)
        if ownership.specter_owns:
            # Specter is the master of this article's data, so the shop owns nothing of an
            # article Specter has: neither its echo of the gateway's own write nor an edit made
            # in the shop goes back. What the shop still decides is which products exist: a
            # product new to Specter (unbound, or given another article number) is created there,
            # with the shop's data and stock, since Specter has nothing to overwrite; a delete
            # follows delete_from_specter.
            if known is not None and known.specter_no == article.article_no:
                plan.kept.append(article.article_no)
            else:
                plan.create_only.append(article)
        elif known is not None and known.to_specter_fp == fingerprint(exported_fields(article)):
            continue  # the shop's echo of the gateway's own write, or a change Specter does not keep
        elif (owner := shared_with(origins.get(article.article_no, set()), ctx.tenant.id)) and (
                not ctx.settings.update_shared_articles):
            plan.create_only.append(article)
            plan.not_overwritten.append(shared_reason(article.article_no, owner, "overwrites"))
        else:
            plan.overwrite.append(article)
    return plan


async def _delete(ctx: TenantContext, product_id: str) -> Outcome:
    settings = ctx.settings
    if not settings.delete_from_specter:
        return Outcome(status="skipped", result={"reason": "delete from Specter is off"})
    store, tenant_id = ctx.gw.store, ctx.tenant.id
    # The product itself, or (a variable product) its variants, found by their parent.
    single = await ctx.binding("article", product_id)
    bound = ([single] if single else []) + await store.bindings_by_parent(tenant_id, "article", product_id)
    if not bound:
        return Outcome(status="skipped", result={"reason": "Specter never got this product"})
    deleted, kept = [], []
    for binding in bound:
        # An article another shop created, or that came from Specter, is theirs to delete.
        owner = shared_with({binding.origin} - {""}, tenant_id)
        if owner and not settings.update_shared_articles:
            kept.append(shared_reason(binding.specter_no, owner, "deletes"))
        else:
            await ctx.specter.delete_article(binding.specter_no)
            deleted.append(binding.specter_no)
        await store.remove_binding(tenant_id, "article", binding.shop_id)
    result: dict[str, object] = {"deleted": deleted}
    if kept:
        result["not_deleted"] = kept
    return Outcome(status="done" if deleted else "skipped", result=result)
