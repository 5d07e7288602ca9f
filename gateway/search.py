"""Finding an order or an article on a bad day: by the shop's order number, Specter's order
number (or the externalOrderNo it was sent with), the customer's e-mail or an article number,
across one tenant or every tenant the asker may see.

What an order is found by is recorded when the gateway handles it (:func:`order_terms`, also
for an order it does not send: a draft, one waiting for a manual export); Specter's numbers
come from the bindings. The store answers with index searches only (see
:meth:`gateway.store.base.Store.search`); this module groups its hits per order or article and
adds what a result line shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from gateway.model import InvalidInput, Order, ProductRow
from gateway.store.base import SearchField, SearchHit, Store, TermField

DEFAULT_RESULTS = 50
MAX_RESULTS = 200
MAX_QUERY = 200  # characters: longer than any number or e-mail address a shop has
HITS_PER_RESULT = 4  # hits read per result asked for: one order may match several ways

FIELD_TITLES: dict[SearchField, str] = {
    "id": "shop order id",
    "number": "shop order number",
    "email": "customer e-mail",
    "article_no": "article number",
    "specter_no": "Specter order number",
    "external_no": "externalOrderNo",
}


def order_terms(order: Order) -> list[tuple[TermField, str]]:
    """What a support person may look the order up by."""
    terms: list[tuple[TermField, str]] = [("number", order.number or order.shop_id)]
    if order.number and order.number != order.shop_id:
        terms.append(("id", order.shop_id))
    if order.customer.email.strip():
        terms.append(("email", order.customer.email.strip()))
    terms += [("article_no", row.article_no) for row in order.rows
              if isinstance(row, ProductRow) and row.article_no]
    return terms


class Match(msgspec.Struct, kw_only=True, frozen=True):
    field: SearchField
    title: str  # the field in words
    value: str
    exact: bool


class Found(msgspec.Struct, kw_only=True):
    """One order or article a search found, with what a result line shows."""

    tenant_id: str
    kind: Literal["order", "article"]
    id: str  # the shop's order id; the article number
    matched: list[Match]
    number: str = ""  # an order: the shop's order number
    email: str = ""  # an order: the customer's
    specter_order_no: str = ""  # an order Specter has: its number there
    # An order: "in Specter", "on its way" (sent, its answer not yet kept), else its newest
    # event's status ("" when none is kept) with why (``reason``).
    state: str = ""
    reason: str = ""
    updated_at: float | None = None  # an order: when its newest event last changed
    name: str = ""  # an article: its name in Specter, as last read


class SearchResults(msgspec.Struct, kw_only=True):
    query: str
    tenants: list[str]  # the tenants searched
    results: list[Found]
    more: bool  # the limit cut the list short


def check_query(text: str | None, limit: int | str | None = None) -> tuple[str, int]:
    """The search text and the number of results, checked: a clear error naming ``q`` or
    ``limit`` for what cannot be searched."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("q is required: a shop or Specter order number, an e-mail or an article number", "$.q")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"q is longer than {MAX_QUERY} characters", "$.q")
    if limit is None or limit == "":
        return text, DEFAULT_RESULTS
    try:
        count = int(limit)
    except ValueError:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_RESULTS}", "$.limit") from None
    if not 1 <= count <= MAX_RESULTS:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_RESULTS}", "$.limit")
    return text, count


async def search(store: Store, text: str, tenant_ids: Iterable[str], limit: int = DEFAULT_RESULTS) -> SearchResults:
    """Orders and articles of ``tenant_ids`` matching ``text``: exact matches first, then
    those that start with it; each order or article once, with every way it matched."""
    tenants = sorted(set(tenant_ids))
    hits = await store.search(text, tenants, limit * HITS_PER_RESULT + 1)
    grouped: dict[tuple[str, str, str], Found] = {}
    for hit in hits:
        key = (hit.tenant_id, hit.kind, hit.id)
        found = grouped.get(key)
        if found is None:
            if len(grouped) == limit:
                break
            found = grouped[key] = Found(tenant_id=hit.tenant_id, kind=hit.kind, id=hit.id, matched=[])
        match = _match(hit)
        if match not in found.matched:
            found.matched.append(match)
    more = len(hits) > limit * HITS_PER_RESULT or len(grouped) < len({(h.tenant_id, h.kind, h.id) for h in hits})
    results = list(grouped.values())
    for found in results:
        await _describe(store, found)
    return SearchResults(query=text, tenants=tenants, results=results, more=more)


def _match(hit: SearchHit) -> Match:
    return Match(field=hit.field, title=FIELD_TITLES[hit.field], value=hit.value, exact=hit.exact)


async def _describe(store: Store, found: Found) -> None:
    """What the result line shows besides the match."""
    if found.kind == "article":
        tenant = await store.get_tenant(found.tenant_id)
        kept = await store.kept_article(tenant.account_id, found.id) if tenant is not None else None
        found.name = kept.info.article.name if kept is not None else ""
        return
    terms = dict(await store.search_terms(found.tenant_id, "order", found.id))
    found.number, found.email = terms.get("number", ""), terms.get("email", "")
    binding = await store.get_binding(found.tenant_id, "order", found.id)
    newest = await store.shop_object_events(found.tenant_id, "shop.order", [f"order:{found.id}"], 1)
    if newest:
        event = newest[0]
        found.state, found.updated_at = event.status, event.updated_at
        found.reason = event.last_error or str((event.result or {}).get("reason", ""))
    if binding is not None:
        found.specter_order_no = binding.specter_no
        found.state, found.reason = ("in Specter" if binding.state == "bound" else "on its way"), ""
