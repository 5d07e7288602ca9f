"""An order's story, and an article's page: what the gateway knows about one object, in words
a support person reads, for the admin console and the JSON admin API alike.

An order's story is told in time order from the event log: the webhook or poll that brought
each change (or the operator who asked for an export), every run of each event with how it
ended (``event_attempts``; an event keeps only its last error), "transfer again", Specter's
order number and its writing back to the shop, the status changes and tracking numbers read
from Specter, and the stock realigned after the order gave its items back. Beside the story,
the order's articles with Specter's level and the level last written to the shop.

An article's page: its bindings in this shop (the product or variation) and on its Specter
account (which shop created it, which others sell it), Specter's data and levels as last read,
the level last written to the shop, the orders that had it, and its product events. Drift the
reconciler found is in :attr:`ArticleStory.drift` (None until a reconciliation has run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import msgspec

from gateway.events import OrdersPush, StockRealign
from gateway.settings import Tenant
from gateway.store.base import OPEN_STATUSES, Attempt, Binding, Event, Reconciliation, Store

EVENTS_TOLD = 100  # the newest events of one object its story tells
ORDERS_LISTED = 20  # orders an article page lists
ANOTHER_SHOP = "another shop on this account"  # a tenant the asker may not see

EntryKind = Literal["received", "attempt", "requeued", "waiting", "specter", "shop", "stock"]


class StoryEntry(msgspec.Struct, kw_only=True):
    """One thing that happened to the object."""

    at: float
    kind: EntryKind
    title: str
    detail: str = ""
    event_id: int | None = None  # the event it belongs to
    status: str = ""  # an attempt's or event's status, where it has one


class OrderArticle(msgspec.Struct, kw_only=True):
    """An article of the order, with its stock as the gateway last knew it."""

    article_no: str
    specter_level: int | None  # Specter's available quantity over the shop's stock sites, as last read
    written_level: int | None  # the level last written to the shop


class OrderStory(msgspec.Struct, kw_only=True):
    tenant_id: str
    order_id: str  # the shop's order id
    known: bool  # the gateway has anything about it
    number: str = ""  # the shop's order number
    email: str = ""  # the customer's
    order_export: str = ""  # the tenant's order export mode (manual: "Export order now" sends it)
    specter_order_no: str = ""  # Specter's order number, once it has the order
    specter_order_id: str = ""
    external_order_no: str = ""  # the externalOrderNo it was sent with
    in_specter: Literal["", "sending", "bound"] = ""  # sending: on its way, or its answer was lost
    # The order's newest event when it failed or found nothing to do: "transfer again" runs it anew.
    transfer_again: int | None = None
    articles: list[OrderArticle] = []
    entries: list[StoryEntry] = []


class ShopSide(msgspec.Struct, kw_only=True):
    """A binding of the article to a shop's product or variation."""

    tenant_id: str
    shop_id: str
    parent_shop_id: str = ""
    # Who created the Specter article: a tenant (ANOTHER_SHOP when the asker may not see it),
    # "specter", or "" when unknown.
    origin: str
    to_specter_at: float | None  # when its data was last sent to Specter
    to_shop_at: float | None  # when Specter's data was last written to the shop


class Level(msgspec.Struct, kw_only=True):
    site: str  # "" when Specter answered for all sites at once
    available: int
    updated_at: float
    counted: bool  # one of the sites the shop's stock is the sum of


class SpecterSide(msgspec.Struct, kw_only=True):
    """The article in Specter, as last read."""

    name: str
    price_ex_vat: Decimal | None
    sale_price_ex_vat: Decimal | None
    vat_percent: Decimal | None
    group: str
    published: bool | None
    read_at: float


class ArticleStory(msgspec.Struct, kw_only=True):
    tenant_id: str
    article_no: str
    known: bool
    in_shop: list[ShopSide] = []  # this tenant's bindings
    other_shops: list[ShopSide] = []  # other tenants on the account with this number (those the asker may see)
    created_by: list[str] = []  # who created its Specter article, as far as the gateway knows
    specter: SpecterSide | None = None
    levels: list[Level] = []
    shop_level: int | None = None  # Specter's level summed over the shop's sites
    written_level: int | None = None  # the level last written to the shop
    orders: list[str] = []  # the newest orders with this article (shop order ids)
    entries: list[StoryEntry] = []
    # What the reconciler found differs between the shop and Specter for this article; None:
    # nothing reported (no reconciler has looked yet).
    drift: list[dict[str, Any]] | None = None


# -- an order -----------------------------------------------------------------------------------


async def order_story(store: Store, tenant: Tenant, order_id: str) -> OrderStory:
    events = await store.shop_object_events(tenant.id, "shop.order", [f"order:{order_id}"], EVENTS_TOLD)
    linked = await store.linked_events(tenant.id, "order", order_id, EVENTS_TOLD)
    terms = await store.search_terms(tenant.id, "order", order_id)
    binding = await store.get_binding(tenant.id, "order", order_id)
    story = OrderStory(tenant_id=tenant.id, order_id=order_id, order_export=tenant.settings.order_export,
                       known=bool(events or linked or terms or binding))
    found = dict(terms)
    story.number, story.email = found.get("number", ""), found.get("email", "")
    if binding is not None:
        story.specter_order_no, story.specter_order_id = binding.specter_no, binding.specter_id
        story.external_order_no, story.in_specter = binding.external_no, binding.state
        if binding.to_shop_at and binding.specter_no:
            story.entries.append(StoryEntry(at=binding.to_shop_at, kind="shop",
                                            title=f"Specter's order number {binding.specter_no} written to the shop"))
    attempts = await store.event_attempts([e.id for e in [*events, *linked]])
    for event in events:
        story.entries.append(_brought(event))
        story.entries += _runs(event, attempts[event.id], await store.event_history(event.id), _order_outcome)
    for event in linked:
        story.entries += _linked_event(event, attempts[event.id], order_id, binding)
    story.entries.sort(key=lambda entry: entry.at)  # stable: an event's own entries keep their order
    # The newest event decides: one that failed may be run anew, and one that found nothing to
    # do while Specter lacks the order (it was a draft then, or export was off).
    newest = events[-1] if events else None
    if newest is not None and newest.payload.get("action") != "deleted" and (
            newest.status == "dead" or (newest.status == "skipped" and story.in_specter != "bound")):
        story.transfer_again = newest.id
    articles = sorted({value for field, value in terms if field == "article_no"})
    specter = await store.specter_levels(tenant.account_id, tenant.settings.stock_sites, articles)
    written = await store.written_levels(tenant.id, articles)
    story.articles = [OrderArticle(article_no=a, specter_level=specter.get(a), written_level=written.get(a))
                      for a in articles]
    return story


def _brought(event: Event) -> StoryEntry:
    """What brought an order event: the shop (a webhook, a poll, a backfill) or an operator."""
    action = str(event.payload.get("action", ""))
    data = event.payload.get("data") or {}
    found_by = data.get("found_by", "") if isinstance(data, dict) else ""
    shop_status = data.get("status") if isinstance(data, dict) else None
    detail = f"shop status {shop_status}" if isinstance(shop_status, str) and shop_status else ""
    if action == "export":
        title = '"Export order now": an operator asked to send it, whatever the export mode'
    elif found_by == "poll":
        title = "Found by the poll of the shop's changed orders"
    elif found_by == "backfill":
        title = "Found by a backfill"
    elif action == "deleted":
        title = "The shop's webhook: the order was deleted"
    else:
        title = f"The shop's webhook: order {action}"
    return StoryEntry(at=event.created_at, kind="received", title=title, detail=detail, event_id=event.id)


def _runs(event: Event, attempts: list[Attempt], history: list[dict[str, Any]],
          describe: Callable[[Attempt, dict[str, Any]], str]) -> list[StoryEntry]:
    """Each run of the event with how it ended (``describe`` words it, given the result its
    runs ended with), each "transfer again", and what it waits for while open."""
    # Runs before each "transfer again" ended with the history's results; the last, with the event's.
    runs = [(float(h.get("at") or 0), h.get("result") or {}) for h in history] + [(float("inf"), event.result or {})]
    entries = []
    for attempt in attempts:
        result = next(r for requeued_at, r in runs if attempt.at <= requeued_at)
        entries.append(StoryEntry(at=attempt.at, kind="attempt", event_id=event.id, status=attempt.status,
                                  title=f"Attempt {attempt.attempt}: {_ATTEMPT_WORDS[attempt.status]}",
                                  detail=describe(attempt, result)))
    entries += [StoryEntry(at=float(h.get("at") or 0), kind="requeued", event_id=event.id,
                           title='"Transfer again": queued anew') for h in history]
    if event.status in OPEN_STATUSES:
        entries.append(_waiting(event))
    return entries


_ATTEMPT_WORDS = {"retry": "failed, to be tried again", "done": "done", "skipped": "nothing to do",
                  "dead": "failed for good", "pending": "waiting", "running": "running"}


def _order_outcome(attempt: Attempt, result: dict[str, Any]) -> str:
    """A run that sent the order says what Specter made of it; any other, its error or reason."""
    if attempt.status != "done" or not result.get("specter_order_id") or result.get("reason"):
        return attempt.detail
    parts = [f"in Specter as order {result.get('specter_order_no') or '(number to follow)'}"]
    if result.get("external_order_no"):
        parts.append(f"externalOrderNo {result['external_order_no']}")
    if result.get("articles_exported_first"):
        parts.append("articles created in Specter first: " + ", ".join(map(str, result["articles_exported_first"])))
    parts += [str(note) for note in result.get("notes") or []]
    return "; ".join(parts)


def _waiting(event: Event) -> StoryEntry:
    if event.status == "retry":
        title = f"Waiting to be tried again at {time.strftime('%H:%M:%S', time.localtime(event.next_attempt_at))}"
    else:
        title = "Running" if event.status == "running" else "Waiting to run"
    return StoryEntry(at=event.updated_at, kind="waiting", title=title, detail=event.last_error or "",
                      event_id=event.id, status=event.status)


def _linked_event(event: Event, attempts: list[Attempt], order_id: str, binding: Binding | None) -> list[StoryEntry]:
    """An order status change read from Specter, or the stock realigned after the order."""
    ended = attempts[-1].at if attempts else event.updated_at
    result = event.result or {}
    if event.kind == StockRealign.kind:
        entry = StoryEntry(at=ended, kind="stock", event_id=event.id, status=event.status,
                           title="Stock: the order's articles compared with Specter's levels")
        if result.get("written"):
            entry.detail = "written to the shop: " + ", ".join(f"{a} {n}" for a, n in sorted(result["written"].items()))
        else:
            entry.detail = event.last_error or str(result.get("reason", ""))
        return [entry]
    if event.kind != OrdersPush.kind:
        return [StoryEntry(at=ended, kind="specter", event_id=event.id, status=event.status, title=event.kind,
                           detail=event.last_error or "")]
    applied = [a for a in result.get("applied") or [] if isinstance(a, dict) and a.get("order") == order_id]
    if not applied:  # not applied (yet): tell what Specter reported, and why it is not done
        return [StoryEntry(at=ended, kind="specter", event_id=event.id, status=event.status,
                           title=f"Specter: {change}", detail=event.last_error or "")
                for change in _reported(event, binding)]
    return [StoryEntry(at=ended, kind="specter", event_id=event.id, status=event.status,
                       title=f"Specter: {a.get('change') or 'changed'}", detail=_applied(a)) for a in applied]


def _applied(applied: dict[str, Any]) -> str:
    parts = []
    if applied.get("specter_order_no"):
        parts.append(f"Specter's order number {applied['specter_order_no']} written to the shop")
    if applied.get("shop_status"):
        done = "set" if applied.get("status_set") else "already shown"
        parts.append(f"shop status {applied['shop_status']} ({done})")
    if applied.get("tracking"):
        added = applied.get("tracking_added") or []
        parts.append("tracking numbers " + ", ".join(map(str, applied["tracking"]))
                     + (f" (added: {', '.join(map(str, added))})" if added else " (already shown)"))
    if applied.get("not_set"):
        parts.append(f"not set: {applied['not_set']}")
    if applied.get("stock"):
        parts.append(str(applied["stock"]))
    return "; ".join(parts) or "nothing to change in the shop"


def _reported(event: Event, binding: Binding | None) -> list[str]:
    """The changes of this order a status event carries (by the numbers the order was sent with)."""
    numbers = {n for n in (binding.external_no, binding.specter_no, binding.specter_id) if n} if binding else set()
    changes = []
    for update in event.payload.get("updates") or []:
        if not isinstance(update, dict):
            continue
        if not numbers & {update.get("external_order_no"), update.get("specter_order_no")}:
            continue
        if update.get("deleted"):
            changes.append("deleted")
        elif update.get("delivered"):
            changes.append("delivered")
        else:
            changes.append(str(update.get("status_id") or "changed"))
    return changes or ["a change of this order"]


# -- an article ---------------------------------------------------------------------------------


async def article_story(store: Store, tenant: Tenant, article_no: str,
                        may_see: Callable[[str], bool] = lambda tenant_id: True) -> ArticleStory:
    """The article's page for ``tenant``; other shops are named only where ``may_see`` allows."""
    story = ArticleStory(tenant_id=tenant.id, article_no=article_no, known=False)
    bindings = await store.article_bindings(tenant.account_id, article_no)
    story.in_shop = [_side(b, may_see) for b in bindings if b.tenant_id == tenant.id]
    story.other_shops = [_side(b, may_see) for b in bindings if b.tenant_id != tenant.id and may_see(b.tenant_id)]
    origins = (await store.article_origins(tenant.account_id, [article_no])).get(article_no, set())
    story.created_by = sorted({_origin(o, may_see) for o in origins})
    kept = await store.kept_article(tenant.account_id, article_no)
    if kept is not None:
        a = kept.info.article
        story.specter = SpecterSide(name=a.name, price_ex_vat=a.price_ex_vat, sale_price_ex_vat=a.sale_price_ex_vat,
                                    vat_percent=a.vat_percent, group=a.group.code if a.group else "",
                                    published=kept.info.publish_in_webshop, read_at=kept.read_at)
    sites = tenant.settings.stock_sites
    story.levels = [Level(site=level.site, available=level.available, updated_at=level.updated_at,
                          counted=not sites or level.site in sites)
                    for level in await store.site_levels(tenant.account_id, article_no)]
    story.shop_level = (await store.specter_levels(tenant.account_id, sites, [article_no])).get(article_no)
    story.written_level = (await store.written_levels(tenant.id, [article_no])).get(article_no)
    hits = await store.search(article_no, [tenant.id], ORDERS_LISTED * 2)
    story.orders = sorted({h.id for h in hits if h.kind == "order" and h.field == "article_no" and h.exact},
                          key=_newest_first)[:ORDERS_LISTED]
    products = sorted({f"product:{b.parent_shop_id or b.shop_id}" for b in bindings if b.tenant_id == tenant.id})
    events = await store.shop_object_events(tenant.id, "shop.product", products, EVENTS_TOLD)
    attempts = await store.event_attempts([e.id for e in events])
    for event in events:
        story.entries.append(_product_received(event))
        story.entries += _runs(event, attempts[event.id], await store.event_history(event.id), _product_outcome)
    story.entries.sort(key=lambda entry: entry.at)
    story.drift = _drift(await store.get_reconciliation(tenant.id), article_no)
    story.known = bool(bindings or kept or story.levels or story.orders)
    return story


def _drift(report: Reconciliation | None, article_no: str) -> list[dict[str, Any]] | None:
    """What the tenant's last reconciliation healed or left to a person for this article; None
    when none has run."""
    if report is None:
        return None
    found: list[dict[str, Any]] = []
    for what, drifts in (("stock", report.stock_healed), ("price", report.prices_healed)):
        found += [{"healed": what, "shop showed": d.shop, "Specter": d.specter}
                  for d in drifts if d.article_no == article_no]
    found += [{"needs a person": f.problem, "reason": f.reason}
              for f in report.needs_person if f.what == "article" and f.key == article_no]
    return found


def _newest_first(order_id: str) -> tuple[int, str]:
    """Shop order ids are mostly numbers that grow: the highest first (others after, by text)."""
    return (-int(order_id), "") if order_id.isdigit() else (1, order_id)


def _side(binding: Binding, may_see: Callable[[str], bool]) -> ShopSide:
    return ShopSide(tenant_id=binding.tenant_id, shop_id=binding.shop_id, parent_shop_id=binding.parent_shop_id,
                    origin=_origin(binding.origin, may_see), to_specter_at=binding.to_specter_at or None,
                    to_shop_at=binding.to_shop_at or None)


def _origin(origin: str, may_see: Callable[[str], bool]) -> str:
    """Who created the Specter article, in words for the asker: a tenant it may not see is
    "another shop on this account", never named."""
    if origin in ("", "specter") or may_see(origin):
        return origin
    return ANOTHER_SHOP


def _product_outcome(attempt: Attempt, result: dict[str, Any]) -> str:
    if attempt.status != "done" or not result.get("sent"):
        return attempt.detail
    return "sent to Specter: " + ", ".join(map(str, result["sent"]))


def _product_received(event: Event) -> StoryEntry:
    action = str(event.payload.get("action", ""))
    data = event.payload.get("data") or {}
    found_by = data.get("found_by", "") if isinstance(data, dict) else ""
    source = "Found by the poll of the shop's changes" if found_by == "poll" else "The shop's webhook"
    return StoryEntry(at=event.created_at, kind="received", event_id=event.id,
                      title=f"{source}: product {event.payload.get('object_id', '')} {action}")
