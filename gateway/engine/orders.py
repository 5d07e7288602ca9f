"""Orders, shop to Specter: exactly once, however often the webhook fires or a job is retried.

Once per order: jobs on one order never overlap (the event's subject), the order's binding
records Specter's order id before the number is written back, and Specter's own duplicate control on
the external order number catches an order whose answer was lost (a timeout after Specter
stored it).

Specter's duplicate answer alone does not say the order is this one: shops on one account, or an
earlier connector, may have used the number. So before sending, the order's binding records the
externalOrderNo and a fingerprint of what is sent (state 'sending'), refused when another order
on the account holds the number; a duplicate answer is adopted only when that record shows this
order was sent before with the same number and content.

Writing the number back changes the order, so the shop announces it again (a webhook, and the
next poll): a bound order is written to only when the shop does not show Specter's number.
"""

from __future__ import annotations

import time
from typing import Any

from gateway.engine.context import TenantContext, fingerprint
from gateway.engine.customers import ensure_customer
from gateway.engine.order_rows import specter_order
from gateway.engine.products import ensure_articles
from gateway.engine.restock import LET_GO, STOCK_RELEASED, realign_after_release
from gateway.errors import PermanentError, TransientError
from gateway.events import ShopOrder
from gateway.jobs.execute import Outcome
from gateway.model import Order, ProductRow
from gateway.rules.apply import apply_rules, skipped_result
from gateway.rules.run import Skipped
from gateway.search import order_terms
from gateway.services import Gateway
from gateway.specter.errors import DuplicateOrderError
from gateway.store.base import Binding

# Orders a shop has taken: paid, or to be paid on invoice or on delivery.
EXPORTABLE = ("processing", "on_hold", "completed")


def why_not_exported(order: Order, action: str, export_mode: str) -> str | None:
    if order.state == "draft":
        return "the order is a checkout draft"
    if export_mode == "inactive":
        return "order export is inactive"
    if export_mode == "manual" and action != "export":
        return "order export is manual: export it from the admin console or CLI"
    if order.state not in EXPORTABLE and action != "export":
        return f"the order is {order.state.replace('_', ' ')}, not yet placed"
    return None


async def handle_order_event(gw: Gateway, event: ShopOrder) -> Outcome:
    ctx = await TenantContext.load(gw, event.tenant_id)
    order_id, action = event.object_id, event.action
    if action == "deleted":
        return await _delete(ctx, order_id)
    known = await ctx.binding("order", order_id)
    order = await ctx.shop.fetch_order(order_id)
    if order is None:
        return Outcome(status="skipped", result={"reason": "the order no longer exists in the shop"})
    # Findable from now on, whatever becomes of it (a draft, an order waiting for a manual export).
    await ctx.gw.store.put_search_terms(ctx.tenant.id, "order", order_id, order_terms(order))
    if known is not None and known.state != "sending":
        return await reconcile_bound_order(ctx, known, order)
    reason = why_not_exported(order, action, ctx.settings.order_export)
    if reason:
        result = {"reason": reason}
        if order.state in LET_GO and await realign_after_release(ctx, order):
            result["stock"] = (f"{order.state} before Specter got it: its articles get Specter's levels where the "
                               "shop shows others")
        return Outcome(status="skipped", result=result)
    ruled = await apply_rules(ctx, "order_to_specter", order)
    if isinstance(ruled, Skipped):
        return Outcome(status="skipped", result=skipped_result(ruled))
    order = ruled
    products = [r for r in order.rows if isinstance(r, ProductRow)]
    if not products:
        # WooCommerce can announce an order before its line items exist: ask again later.
        raise TransientError("the order has no product rows yet")

    customer_id, _ = await ensure_customer(ctx, order.customer)
    exported_articles = await ensure_articles(ctx, products)
    sent, notes = specter_order(order, ctx.settings, customer_id)
    external_no, content = sent.external_order_no, fingerprint(sent)
    # What an earlier attempt recorded, read before this attempt records its own.
    sent_before = known is not None and known.external_no == external_no and known.to_specter_fp == content
    holder = await ctx.gw.store.begin_order(ctx.new_binding(
        "order", order_id, external_no=external_no, to_specter_fp=content, to_specter_at=time.time()))
    if holder is not None:
        raise PermanentError(f"another order holds externalOrderNo {external_no} in Specter (order"
                             f" {holder.shop_id} of shop {holder.tenant_id}): give each shop its own order prefix")
    order_no = ""
    try:
        receipt = await ctx.specter.submit_order(sent)
        specter_id, order_no = receipt.order_id, receipt.order_no
    except DuplicateOrderError as exc:
        if not (sent_before and exc.existing_order_id):
            # Not provably this order: leave the number to the order Specter has.
            await ctx.gw.store.remove_binding(ctx.tenant.id, "order", order_id)
            raise PermanentError(f"another order holds externalOrderNo {external_no} in Specter"
                                 f" ({exc.message}); this order was not sent") from exc
        specter_id = exc.existing_order_id  # stored by an earlier attempt whose answer was lost
        notes.append("Specter already had this order (an earlier attempt's answer was lost)")
    # The external order number is needed to delete it later; Specter's status changes name it
    # by that number or by Specter's own order number.
    await ctx.bind("order", order_id, state="bound", specter_id=specter_id, specter_no=order_no)
    # An adopted order's number comes with Specter's first change to it. A write the shop does
    # not need is never made: every save brings the order back as a change.
    if order_no and order.specter_order_no != order_no:
        await write_order_no(ctx, order_id, order_no)
    return Outcome(
        result={
            "specter_order_id": specter_id,
            "specter_order_no": order_no,
            "external_order_no": external_no,
            "specter_customer_id": customer_id,
            "articles_exported_first": exported_articles,
            "notes": notes,
        }
    )


async def reconcile_bound_order(ctx: TenantContext, known: Binding, order: Order) -> Outcome:
    """An order Specter has: write its number to the shop only when the shop shows another; and
    once the shop owner cancelled it (the shop put its items back), Specter's levels for its
    articles where the shop shows others (Specter still holds the order's stock)."""
    result: dict[str, Any] = {"reason": "already in Specter", "specter_order_id": known.specter_id,
                              "specter_order_no": known.specter_no}
    done = []
    if known.specter_no and order.specter_order_no != known.specter_no:
        await write_order_no(ctx, known.shop_id, known.specter_no)
        done.append("its number written to the shop")
    if order.state in STOCK_RELEASED and await realign_after_release(ctx, order):
        done.append(f"{order.state} in the shop, which put its items back: Specter's levels are written again")
    if not done:
        return Outcome(status="skipped", result=result)
    return Outcome(result=result | {"reason": "; ".join(["already in Specter", *done])})


async def write_order_no(ctx: TenantContext, order_id: str, order_no: str) -> None:
    """Show Specter's order number (the one its users see, not its internal id) in the shop."""
    await ctx.shop.set_specter_order_no(order_id, order_no)
    await ctx.mark("order", order_id, to_shop_fp=fingerprint([order_no]), to_shop_at=time.time())


async def _delete(ctx: TenantContext, order_id: str) -> Outcome:
    if not ctx.settings.delete_order:
        return Outcome(status="skipped", result={"reason": "delete order is off"})
    known = await ctx.binding("order", order_id)
    if known is None:
        return Outcome(status="skipped", result={"reason": "Specter never got this order"})
    number = known.external_no or order_id
    await ctx.specter.delete_order(number)
    await ctx.gw.store.remove_binding(ctx.tenant.id, "order", order_id)
    return Outcome(result={"deleted": number})

