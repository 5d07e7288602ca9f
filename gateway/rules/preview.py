"""Preview: a draft rule set run on the tenant's last real objects, side by side with what the
rules in force make of them, sending nothing.

The objects are found in the event log (its newest ``shop.order`` and ``shop.product`` events)
and read again from the shop: an event keeps only the shop's hint, and the shop's answer is the
object the engine would see. Reading is all that happens: nothing is written to the shop or to
Specter, and no binding or event changes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gateway.engine.context import TenantContext
from gateway.engine.order_rows import specter_order
from gateway.engine.products import exported_fields
from gateway.model import Article, Order
from gateway.rules.apply import compiled_rules
from gateway.rules.language import RuleSet
from gateway.rules.run import Compiled, Ran, limits_broken
from gateway.services import Gateway
from gateway.store.base import EventFilter

MAX_OBJECTS = 50
PREVIEW_CUSTOMER = "(customer)"  # Specter's customer id is known only once the customer is sent


class Side(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What one rule set makes of an object: what Specter would get, or why not."""

    sent: dict[str, Any] | None = None
    skipped: str | None = None
    refused: str | None = None
    rules: list[str] = []


class Compared(msgspec.Struct, kw_only=True):
    kind: str  # order, article
    shop_id: str
    event_id: int
    before: Side
    after: Side
    changed: bool


class Preview(msgspec.Struct, kw_only=True):
    objects: list[Compared]
    source: str = "read again from the shop for the tenant's newest events; nothing was sent"


async def preview(gw: Gateway, tenant_id: str, draft: RuleSet, limit: int = 10) -> Preview:
    ctx = await TenantContext.load(gw, tenant_id)
    in_force = await compiled_rules(ctx)
    trial = Compiled(draft)
    out: list[Compared] = []
    for kind in ("shop.order", "shop.product"):
        seen: set[str] = set()
        for event in await gw.store.list_events(EventFilter(tenant_id=tenant_id, kind=kind, limit=MAX_OBJECTS * 4)):
            object_id = str(event.payload.get("object_id", ""))
            if not object_id or object_id in seen or event.payload.get("action") == "deleted" or len(seen) >= limit:
                continue
            seen.add(object_id)
            if kind == "shop.order":
                order = await ctx.shop.fetch_order(object_id)
                if order is not None:
                    out.append(_compare("order", object_id, event.id, *(
                        _order_side(ctx, rules.run("order_to_specter", order), order) for rules in (in_force, trial))))
            else:
                for article in await ctx.shop.fetch_product(object_id):
                    out.append(_compare("article", article.shop_id or object_id, event.id, *(
                        _article_side(rules.run("article_to_specter", article), article)
                        for rules in (in_force, trial))))
    return Preview(objects=out)


def _compare(kind: str, shop_id: str, event_id: int, before: Side, after: Side) -> Compared:
    return Compared(kind=kind, shop_id=shop_id, event_id=event_id, before=before, after=after,
                    changed=(before.sent, before.skipped, before.refused) != (after.sent, after.skipped, after.refused))


def _side(ran: Ran[Any], original: Any, flow: str) -> Side | None:
    rules = ran.changed_by + ([ran.skipped.rule] if ran.skipped else [])
    if ran.skipped is not None:
        return Side(skipped=str(ran.skipped), rules=rules)
    problem = limits_broken(flow, original, ran.obj) if ran.changed_by else None  # type: ignore[arg-type]
    if problem:
        return Side(refused=f"rule {', '.join(map(repr, ran.changed_by))} makes what Specter refuses: {problem}",
                    rules=rules)
    return None


def _order_side(ctx: TenantContext, ran: Ran[Order], original: Order) -> Side:
    side = _side(ran, original, "order_to_specter")
    if side is not None:
        return side
    sent, _ = specter_order(ran.obj, ctx.settings, PREVIEW_CUSTOMER)
    return Side(sent=msgspec.to_builtins(sent), rules=ran.changed_by)


def _article_side(ran: Ran[Article], original: Article) -> Side:
    side = _side(ran, original, "article_to_specter")
    if side is not None:
        return side
    names = ["article_no", "name", "price_ex_vat", "vat_percent", "weight_kg", "barcode", "buy_price"]
    return Side(sent=msgspec.to_builtins(dict(zip(names, exported_fields(ran.obj), strict=True))),
                rules=ran.changed_by)
