"""The console's search, an order's page with its story, and an article's page.

The search looks in every tenant the signed-in user may see (a tenant's user: that tenant
only). An order's page offers "Export order now" (sent whatever the export mode) and, when its
newest event failed or found nothing to do, "Transfer again"; while one of its events is open,
its story is fetched again every second (console.js). Stories come from :mod:`gateway.story`,
the same the admin API answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway import operations
from gateway import search as finder
from gateway import story as stories
from gateway.model import InvalidInput
from gateway.web.console.auth import Viewer, signed_in
from gateway.web.console.routes import _not_found, _redirect, _tenant, render
from gateway.web.state import gateway_of


async def _visible_tenants(request: Request, viewer: Viewer) -> list[str]:
    if viewer.user.tenant_id is not None:
        return [viewer.user.tenant_id]
    return [t.id for t in await gateway_of(request).store.list_tenants()]


@signed_in
async def search_page(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    visible = await _visible_tenants(request, viewer)
    q = request.query_params
    chosen = q.get("tenant", "")
    context: dict[str, Any] = {"query": q.get("q", ""), "tenants": visible, "chosen": chosen, "found": None,
                               "error": None}
    if not context["query"].strip():
        return render(request, "search.html", context)
    try:
        text, limit = finder.check_query(q.get("q"), q.get("limit"))
    except InvalidInput as exc:
        return render(request, "search.html", context | {"error": str(exc)}, 422)
    tenant_ids = [chosen] if chosen in visible else visible
    found = await finder.search(gateway_of(request).store, text, tenant_ids, limit)
    return render(request, "search.html", context | {"found": found})


async def _order_context(request: Request) -> dict[str, Any] | None:
    tenant = await _tenant(request)
    if tenant is None:
        return None
    story = await stories.order_story(gateway_of(request).store, tenant, request.path_params["order_id"])
    # An event still open tells "waiting" (or "running") last: the page keeps following it.
    return {"tenant": tenant, "story": story, "open": any(e.kind == "waiting" for e in story.entries)}


@signed_in
async def order_page(request: Request) -> Response:
    context = await _order_context(request)
    if context is None:
        return _not_found("tenant")
    return render(request, "order.html", context, 200 if context["story"].known else 404)


@signed_in
async def order_story_part(request: Request) -> Response:
    """The story block of an order page, fetched once a second while one of its events is open."""
    context = await _order_context(request)
    if context is None:
        return _not_found("tenant")
    return render(request, "_order_story.html", context)


@signed_in
async def export_order_now(request: Request) -> Response:
    """"Export order now": the order is sent whatever the export mode; its page follows it."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    order_id = request.path_params["order_id"]
    await operations.export_order(gateway_of(request), tenant, order_id)
    return _redirect(f"/tenants/{quote(tenant.id)}/orders/{quote(order_id, safe='')}", notice="exporting")


@signed_in
async def article_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    viewer: Viewer = request.state.viewer
    story = await stories.article_story(gateway_of(request).store, tenant, request.path_params["article_no"],
                                        viewer.may_see)
    # drift: what the reconciler found for this article (None until one reports it), shown by
    # the page's "drift" block.
    return render(request, "article.html", {"tenant": tenant, "story": story, "drift": story.drift},
                  200 if story.known else 404)


routes: list[BaseRoute] = [
    Route("/search", search_page),
    Route("/tenants/{tenant_id}/orders/{order_id}", order_page),
    Route("/tenants/{tenant_id}/orders/{order_id}/story", order_story_part),
    Route("/tenants/{tenant_id}/orders/{order_id}/export", export_order_now, methods=["POST"]),
    Route("/tenants/{tenant_id}/articles/{article_no}", article_page),
]
