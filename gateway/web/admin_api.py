"""The JSON admin API: tenants, Specter accounts and the event log, behind the admin token."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import operations
from gateway import search as finder
from gateway import story as stories
from gateway.model import InvalidInput, shop_id_problem
from gateway.store.base import MAX_ID, EventFilter
from gateway.web.responses import error, from_exception
from gateway.web.state import gateway_of, tenant_service

Endpoint = Callable[[Request], Awaitable[Response]]


def _authorised(request: Request) -> bool:
    expected = request.app.state.admin_token
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


def admin(endpoint: Endpoint) -> Endpoint:
    """Require the admin token and answer the caller's mistakes as clear JSON errors."""

    async def wrapped(request: Request) -> Response:
        if not _authorised(request):
            return error(401, "missing or wrong admin token (send 'Authorization: Bearer TOKEN')")
        try:
            return await endpoint(request)
        except Exception as exc:  # noqa: BLE001 - from_exception re-raises server faults
            return from_exception(exc, upstream=True)

    return wrapped


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        data = msgspec.json.decode(body or b"{}")
    except msgspec.DecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", "$")
    return data


# -- platforms and accounts ----------------------------------------------------------------------


@admin
async def list_platforms(request: Request) -> Response:
    adapters = gateway_of(request).adapters
    return JSONResponse([{"name": n, "title": adapters.platform(n).title} for n in adapters.names])


@admin
async def list_accounts(request: Request) -> Response:
    service = tenant_service(request)
    return JSONResponse([service.account_view(a) for a in await service.store.list_accounts()])


@admin
async def add_account(request: Request) -> Response:
    service = tenant_service(request)
    account = await service.add_account(await _json(request))
    return JSONResponse(service.account_view(account), status_code=201)


@admin
async def account_detail(request: Request) -> Response:
    service = tenant_service(request)
    account_id = request.path_params["account_id"]
    if request.method == "DELETE":
        await service.remove_account(account_id)
        return Response(status_code=204)
    if request.method == "PATCH":
        account = await service.update_account(account_id, await _json(request))
    else:
        account = await service.account(account_id)
    return JSONResponse(service.account_view(account))


# -- tenants -----------------------------------------------------------------------------------


@admin
async def list_tenants(request: Request) -> Response:
    service = tenant_service(request)
    account = request.query_params.get("account")
    return JSONResponse([service.tenant_view(t) for t in await service.store.list_tenants(account)])


@admin
async def add_tenant(request: Request) -> Response:
    service = tenant_service(request)
    tenant = await service.add_tenant(await _json(request))
    return JSONResponse(service.tenant_view(tenant), status_code=201)


@admin
async def tenant_detail(request: Request) -> Response:
    service = tenant_service(request)
    tenant_id = request.path_params["tenant_id"]
    if request.method == "DELETE":
        from gateway.connect import remove_tenant

        return JSONResponse(await remove_tenant(gateway_of(request), tenant_id))
    if request.method == "PATCH":
        tenant = await service.update_tenant(tenant_id, await _json(request))
        gateway_of(request).forget_tenant(tenant_id)  # its shop handle follows by itself
    else:
        tenant = await service.tenant(tenant_id)
    view = service.tenant_view(tenant)
    view["counts"] = await service.store.count_events(tenant_id)
    return JSONResponse(view)


# -- events ------------------------------------------------------------------------------------


@admin
async def list_events(request: Request) -> Response:
    service = tenant_service(request)
    tenant_id = request.path_params["tenant_id"]
    await service.tenant(tenant_id)
    q = request.query_params
    try:
        query = msgspec.convert(
            {
                "tenant_id": tenant_id,
                "kind": q.get("kind"),
                "status": q.get("status"),
                "limit": int(q.get("limit", 100)),
                "before_id": int(q["before"]) if "before" in q else None,
            },
            EventFilter,
        )
    except (ValueError, msgspec.ValidationError) as exc:
        raise InvalidInput(f"bad event query: {exc}") from None
    events = await service.store.list_events(query)
    return JSONResponse(msgspec.to_builtins(events))


@admin
async def retry_events(request: Request) -> Response:
    """"Transfer again": one event (``event_id``) or every failed event of the tenant."""
    gw = gateway_of(request)
    service = tenant_service(request)
    tenant_id = request.path_params["tenant_id"]
    await service.tenant(tenant_id)
    event_id = request.path_params.get("event_id")
    if event_id is not None:
        event = await gw.store.get_event(int(event_id)) if event_id <= MAX_ID else None
        if event is None or event.tenant_id != tenant_id:
            return error(404, f"tenant {tenant_id!r} has no event {event_id}")
        event_id = event.id
    return JSONResponse({"requeued": await operations.transfer_again(gw, tenant_id, event_id)})


@admin
async def connect(request: Request) -> Response:
    """Register the tenant's webhooks in its shop and the account's callbacks in Specter."""
    from gateway.connect import connect_tenant

    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    return JSONResponse(await connect_tenant(gw, tenant))


@admin
async def webhook_health(request: Request) -> Response:
    """The last check of the tenant's webhooks in its shop: per topic, and what was repaired."""
    from gateway.shop_webhooks import health_view

    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    return JSONResponse(health_view(tenant.id, await gw.store.get_webhook_health(tenant.id)))


@admin
async def backfill(request: Request) -> Response:
    """Send every order changed since ``{"since": "YYYY-MM-DD"}`` that Specter lacks, once."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    since = (await _json(request)).get("since")
    if not isinstance(since, str):
        return error(400, "since is required: a date YYYY-MM-DD", "$.since")
    try:
        report = await operations.backfill(gw, tenant, since)
    except InvalidInput as exc:  # the date: the request itself is wrong
        return error(400, str(exc), exc.field)
    return JSONResponse(msgspec.to_builtins(report) | {"counts": report.counts()})


@admin
async def start_export(request: Request) -> Response:
    """Bulk export as a job: ``{"what": "products" | "customers", "mode": "new" | "all"}``."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    body = await _json(request)
    what, mode = body.get("what", "products"), body.get("mode", "new")
    if not isinstance(what, str):
        raise InvalidInput("what must be 'products' or 'customers'", "$.what")
    if not isinstance(mode, str):
        raise InvalidInput("mode must be 'new' or 'all'", "$.mode")
    event_id = await operations.start_export(gw, tenant, what, mode)
    return JSONResponse({"event_id": event_id}, status_code=202)


@admin
async def export_order(request: Request) -> Response:
    """The connectors' "Transfer order" / "Export" button: send one order now, whatever the export
    mode (a draft is still refused)."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    order_id = request.path_params["order_id"]
    problem = shop_id_problem(order_id, "order id")
    if problem:
        return error(422, problem, "order_id")
    event_id = await operations.export_order(gw, tenant, order_id)
    return JSONResponse({"event_id": event_id}, status_code=202)


@admin
async def import_products(request: Request) -> Response:
    """Import products from Specter into the shop (the get_specter_articles pull), as a job."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    return JSONResponse({"event_id": await operations.import_products(gw, tenant)}, status_code=202)


@admin
async def resync_stock(request: Request) -> Response:
    """"Update stock now": every article's stock from Specter to this shop, as a job."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    return JSONResponse({"event_id": await operations.resync_stock(gw, tenant)}, status_code=202)


@admin
async def reconcile(request: Request) -> Response:
    """Compare the shop with Specter now, as a job: heal stock and price drift, list what needs a
    person."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    return JSONResponse({"event_id": await operations.reconcile(gw, tenant)}, status_code=202)


@admin
async def reconciliation(request: Request) -> Response:
    """The tenant's last reconciliation: JSON, or the CSV report with ``?format=csv``."""
    from gateway.reconcile_report import report_csv, report_view

    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    wanted = request.query_params.get("format", "json")
    if wanted not in ("json", "csv"):
        return error(400, f"format must be json or csv, not {wanted!r}", "format")
    report = await gw.store.get_reconciliation(tenant.id)
    if report is None:
        return error(404, f"shop {tenant.id!r} has not been reconciled yet: "
                          f"POST /admin/api/tenants/{tenant.id}/reconcile")
    if wanted == "csv":
        return Response(report_csv(report), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="reconciliation-{tenant.id}-{report.event_id}.csv"'})
    return JSONResponse(report_view(report))


@admin
async def get_event(request: Request) -> Response:
    gw = gateway_of(request)
    event_id = request.path_params["event_id"]
    event = await gw.store.get_event(event_id) if event_id <= MAX_ID else None
    if event is None or event.tenant_id != request.path_params["tenant_id"]:
        return error(404, f"tenant {request.path_params['tenant_id']!r} has no event {request.path_params['event_id']}")
    return JSONResponse(msgspec.to_builtins(event))


# -- finding an order or an article, and its story ---------------------------------------------


@admin
async def search(request: Request) -> Response:
    """Orders and articles by shop or Specter order number, e-mail or article number, across
    every tenant (or ``tenant``)."""
    store = tenant_service(request).store
    q = request.query_params
    text, limit = finder.check_query(q.get("q"), q.get("limit"))
    if q.get("tenant"):
        tenant_ids = [(await tenant_service(request).tenant(q["tenant"])).id]
    else:
        tenant_ids = [t.id for t in await store.list_tenants()]
    return JSONResponse(msgspec.to_builtins(await finder.search(store, text, tenant_ids, limit)))


@admin
async def order_story(request: Request) -> Response:
    """An order's story, in time order, with its articles' stock."""
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    story = await stories.order_story(gateway_of(request).store, tenant, request.path_params["order_id"])
    if not story.known:
        return error(404, f"the gateway has no record of order {story.order_id!r} of tenant {tenant.id!r}")
    return JSONResponse(msgspec.to_builtins(story))


@admin
async def article_story(request: Request) -> Response:
    """An article: its bindings, Specter's data and levels as last read, its orders and story."""
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    story = await stories.article_story(gateway_of(request).store, tenant, request.path_params["article_no"])
    if not story.known:
        return error(404, f"the gateway has no record of article {story.article_no!r} for tenant {tenant.id!r}")
    return JSONResponse(msgspec.to_builtins(story))


routes = [
    Route("/platforms", list_platforms),
    Route("/accounts", list_accounts, methods=["GET"]),
    Route("/accounts", add_account, methods=["POST"]),
    Route("/accounts/{account_id}", account_detail, methods=["GET", "PATCH", "DELETE"]),
    Route("/tenants", list_tenants, methods=["GET"]),
    Route("/tenants", add_tenant, methods=["POST"]),
    Route("/tenants/{tenant_id}", tenant_detail, methods=["GET", "PATCH", "DELETE"]),
    Route("/tenants/{tenant_id}/events", list_events, methods=["GET"]),
    Route("/tenants/{tenant_id}/events/retry", retry_events, methods=["POST"]),
    Route("/tenants/{tenant_id}/events/{event_id:int}", get_event, methods=["GET"]),
    Route("/tenants/{tenant_id}/connect", connect, methods=["POST"]),
    Route("/tenants/{tenant_id}/webhooks", webhook_health, methods=["GET"]),
    Route("/tenants/{tenant_id}/backfill", backfill, methods=["POST"]),
    Route("/tenants/{tenant_id}/export", start_export, methods=["POST"]),
    Route("/tenants/{tenant_id}/orders/{order_id}/export", export_order, methods=["POST"]),
    Route("/search", search, methods=["GET"]),
    Route("/tenants/{tenant_id}/orders/{order_id}", order_story, methods=["GET"]),
    Route("/tenants/{tenant_id}/articles/{article_no}", article_story, methods=["GET"]),
    Route("/tenants/{tenant_id}/import", import_products, methods=["POST"]),
    Route("/tenants/{tenant_id}/stock/resync", resync_stock, methods=["POST"]),
    Route("/tenants/{tenant_id}/reconcile", reconcile, methods=["POST"]),
    Route("/tenants/{tenant_id}/reconciliation", reconciliation, methods=["GET"]),
    Route("/tenants/{tenant_id}/events/{event_id:int}/retry", retry_events, methods=["POST"]),
]
