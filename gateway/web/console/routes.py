"""The admin console's pages: tenants, one tenant (settings, connection, operations) and its
event log. Server-rendered with Jinja2; each form posts and is answered with a redirect (or the
page again with its errors), and a long operation's page polls its event once a second."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from gateway import operations
from gateway.import_token import import_url, new_import_token
from gateway.model import InvalidInput
from gateway.reconcile_report import PROBLEMS, report_csv
from gateway.secrets import MASK
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.store.base import MAX_ID, OPEN_STATUSES, Event, EventFilter, EventStatus
from gateway.tenants import Conflict
from gateway.web.console import auth, connection, forms, signin_limits
from gateway.web.console.auth import signed_in
from gateway.web.console.connection import register
from gateway.web.console.health import LONG_OPERATIONS, TENANT_FLOWS, payload_summary, tenant_health
from gateway.web.state import gateway_of, tenant_service

HERE = Path(__file__).parent
PREFIX = "/admin"
STATUSES: tuple[str, ...] = ("pending", "running", "retry", "done", "dead", "skipped")
EVENTS_PER_PAGE = 100
# Notices named in a redirect's query; fixed texts, so nothing a URL carries is echoed.
NOTICES = {
    "settings": "Settings saved.",
    "shop": "Shop connection saved.",
    "registered": "Callbacks and webhooks registered.",
    "register-failed": "Registering callbacks and webhooks failed; see the connection section.",
    "requeued": "Queued again.",
    "nothing": "Nothing to transfer again.",
    "exporting": "Queued for Specter: the order is sent whatever the export mode.",
    "alerts": "Alerts saved.",
    "account": "Specter account saved.",
}


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "never"


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["when"] = _when
templates.env.globals.update(prefix=PREFIX, csrf_field=auth.CSRF_FIELD, notices=NOTICES, summary=payload_summary)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    context = {"viewer": getattr(request.state, "viewer", None), "notice": request.query_params.get("notice"),
               **context}
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages show settings; keep them out of caches
    return response


async def _tenant(request: Request) -> Tenant | None:
    return await gateway_of(request).store.get_tenant(request.path_params["tenant_id"])


def _not_found(what: str) -> Response:
    return PlainTextResponse(f"unknown {what}", 404)


def _redirect(path: str, **query: str) -> Response:
    return RedirectResponse(PREFIX + path + (f"?{urlencode(query)}" if query else ""), status_code=303)


# -- signing in ------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    # Only a path of this console: never another site (//evil.example, https://…).
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


async def signin_page(request: Request) -> Response:
    if await auth.current_viewer(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return _signin_form(request, None, 200)


def _signin_form(request: Request, error: str | None, status: int) -> Response:
    token = auth.signin_csrf(request)
    response = render(request, "signin.html", {"signin_csrf": token, "error": error,
                                               "next": _safe_next(request.query_params.get("next"))}, status)
    auth.remember_signin_csrf(request, response, token)
    return response


async def signin(request: Request) -> Response:
    form = await request.form()
    if not auth.same_token(request.cookies.get(auth.SIGNIN_COOKIE, ""), await auth.posted_csrf(request)):
        return PlainTextResponse("refused: reload the sign-in page and try again", 403)
    name = str(form.get("name", ""))
    # Locked out: refused before the password is checked (see signin_limits).
    locked = await signin_limits.lockout(request, name)
    user = None if locked else await auth.authenticate(request, name, str(form.get("password", "")))
    if user is None and locked is None:
        locked = await signin_limits.failed(request, name)
        if locked is None:
            return _signin_form(request, "Wrong name or password.", 401)
    if user is None:
        assert locked is not None
        response = _signin_form(request, locked.message(), 429)
        response.headers["Retry-After"] = locked.retry_after
        return response
    await signin_limits.succeeded(request, name)
    response = RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)
    await auth.start_session(request, user, response)
    return response


@signed_in
async def signout(request: Request) -> Response:
    response = RedirectResponse(PREFIX + "/signin", status_code=303)
    await auth.end_session(request, response)
    return response


# -- tenants ---------------------------------------------------------------------------------


@signed_in
async def tenants_page(request: Request) -> Response:
    viewer: auth.Viewer = request.state.viewer
    if viewer.user.tenant_id is not None:  # a tenant's user sees that tenant only
        return _redirect(f"/tenants/{quote(viewer.user.tenant_id)}")
    gw = gateway_of(request)
    q = request.query_params
    platform, account, failing = q.get("platform") or None, q.get("account") or None, q.get("failures") == "1"
    rows = []
    for tenant in await gw.store.list_tenants(account):
        if platform and tenant.platform != platform:
            continue
        health = await tenant_health(gw.store, tenant)
        if failing and health.ok:
            continue
        rows.append(health)
    accounts = [a.id for a in await gw.store.list_accounts()]
    filters = {"platform": platform or "", "account": account or "", "failures": failing}
    return render(request, "tenants.html", {"rows": rows, "platforms": gw.adapters.names, "accounts": accounts,
                                            "filters": filters})


async def _tenant_context(request: Request, tenant: Tenant) -> dict[str, Any]:
    gw = gateway_of(request)
    platform = gw.adapters.platform(tenant.platform)
    operations_ = []
    for kind in LONG_OPERATIONS:
        operations_ += await gw.store.list_events(EventFilter(tenant_id=tenant.id, kind=kind, limit=3))
    operations_.sort(key=lambda e: e.id, reverse=True)
    settings = msgspec.to_builtins(tenant.settings)
    shop_fields = forms.shop_fields(platform)
    return {
        "tenant": tenant,
        "platform": platform,
        "groups": forms.settings_groups(),
        "values": {f.name: forms.shown_value(f, settings.get(f.name))
                   for g in forms.settings_groups() for f in g.fields},
        "shop_fields": shop_fields,
        "shop_values": {f.name: forms.shown_value(f, tenant.shop.get(f.name)) for f in shop_fields},
        "tenant_name": tenant.name,
        "tenant_enabled": tenant.enabled,
        "health": await tenant_health(gw.store, tenant),
        "connection": await gw.store.get_connect_result(tenant.id),
        "operations": operations_[:6],
        "errors": {},
        "check": None,
        "backfill": None,
        "backfill_error": None,
        "backfill_since": "",
        "inbound_url": f"{gw.config.public_url.rstrip('/')}/shops/{tenant.id}/events",
        "import_setup": await _import_setup(gw, tenant, platform.import_script),
        "reconciliation": await gw.store.get_reconciliation(tenant.id),
        "problems": PROBLEMS,
    }


async def _import_setup(gw: Gateway, tenant: Tenant, script: str) -> dict[str, Any] | None:
    """The shop's import script's configuration block (for a platform that has one): its URL,
    and when its token was made; the token itself only in the answer that made it."""
    if not script:
        return None
    kept = await gw.store.get_import_token(tenant.id)
    return {"script": script, "url": import_url(gw.config.public_url, tenant.id),
            "since": kept.created_at if kept else None, "shown_url": None}


@signed_in
async def tenant_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    return render(request, "tenant.html", await _tenant_context(request, tenant))


def _submitted(fields: list[forms.Field], form: FormData) -> dict[str, Any]:
    """What the user sent, to show it again next to the errors instead of losing it."""
    shown = {f.name: (f.name in form) if f.kind == "bool" else str(form.get(f.name, "")) for f in fields}
    # Never a typed secret back into the page: its field shows the mask (and keeps the stored one).
    return shown | {f.name: MASK for f in fields if f.kind == "secret" and shown[f.name]}


async def _save(request: Request, tenant: Tenant, patch_of: Callable[[FormData], dict[str, Any]],
                which: str) -> Response:
    gw = gateway_of(request)
    form = await request.form()
    try:
        patch = patch_of(form)
        await tenant_service(request).update_tenant(tenant.id, patch)
    except InvalidInput as exc:
        context = await _tenant_context(request, tenant)
        field = forms.error_field(exc) or "_form"
        context["errors"] = {which: {field: forms.error_message(exc)}}
        if which == "settings":
            context["values"] |= _submitted([f for g in forms.settings_groups() for f in g.fields], form)
        else:
            context["shop_values"] |= _submitted(list(context["shop_fields"]), form)
            context |= {"tenant_name": str(form.get("name", "")), "tenant_enabled": "enabled" in form}
        return render(request, "tenant.html", context, 422)
    gw.forget_tenant(tenant.id)  # its shop handle follows by itself
    return _redirect(f"/tenants/{quote(tenant.id)}", notice=which)


@signed_in
async def save_settings(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    return await _save(request, tenant, lambda form: {"settings": forms.parse_settings(form)}, "settings")


@signed_in
async def save_shop(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    platform = gateway_of(request).adapters.platform(tenant.platform)

    def patch_of(form: FormData) -> dict[str, Any]:
        return {"name": str(form.get("name", "")).strip(), "enabled": "enabled" in form,
                "shop": forms.parse_shop(platform, form)}

    return await _save(request, tenant, patch_of, "shop")


@signed_in
async def test_connection(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    context = await _tenant_context(request, tenant)
    context["check"] = await connection.test(gateway_of(request), tenant)
    return render(request, "tenant.html", context)


@signed_in
async def create_service_articles(request: Request) -> Response:
    """"Create the missing service articles" offered by the connection test; the test again."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    context = await _tenant_context(request, tenant)
    context["check"], context["check_error"] = await connection.create_missing_articles(gateway_of(request), tenant)
    return render(request, "tenant.html", context)


@signed_in
async def register_connection(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    result = await register(gateway_of(request), tenant)
    return _redirect(f"/tenants/{quote(tenant.id)}", notice="registered" if result["ok"] else "register-failed")


@signed_in
async def backfill(request: Request) -> Response:
    """"Backfill orders": send Specter each order changed since a date that it lacks; the
    page shows what became of them."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    since = str((await request.form()).get("since", ""))
    context = await _tenant_context(request, tenant) | {"backfill_since": since}
    try:
        report = await operations.backfill(gateway_of(request), tenant, since)
    except InvalidInput as exc:
        return render(request, "tenant.html", context | {"backfill_error": str(exc)}, 400)
    except Conflict as exc:  # the platform cannot list changed orders
        return render(request, "tenant.html", context | {"backfill_error": str(exc)}, 409)
    return render(request, "tenant.html", context | {"backfill": report})


@signed_in
async def make_import_token(request: Request) -> Response:
    """A new token for the import URL, shown in this answer only (never in a redirect's URL);
    the old one stops working."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    context = await _tenant_context(request, tenant)
    if context["import_setup"] is None:
        return _not_found("import script for this platform")
    token = await new_import_token(gateway_of(request).store, tenant.id)
    context["import_setup"] |= {"since": time.time(), "shown_url": f"{context['import_setup']['url']}?token={token}"}
    return render(request, "tenant.html", context)


@signed_in
async def start_operation(request: Request) -> Response:
    """The buttons: export products (new / all), export customers, import products, update stock,
    reconcile now."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    gw = gateway_of(request)
    form = await request.form()
    operation = request.path_params["operation"]
    if operation == "export":
        try:
            event_id = await operations.start_export(gw, tenant, str(form.get("what")), str(form.get("mode", "new")))
        except InvalidInput as exc:
            return PlainTextResponse(str(exc), 422)
    elif operation == "import":
        try:
            event_id = await operations.import_products(gw, tenant)
        except Conflict as exc:  # the import is off
            return PlainTextResponse(str(exc), 409)
    elif operation == "stock":
        event_id = await operations.resync_stock(gw, tenant)
    elif operation == "reconcile":
        event_id = await operations.reconcile(gw, tenant)
    else:
        return _not_found("operation")
    return _redirect(f"/tenants/{quote(tenant.id)}/events/{event_id}")


@signed_in
async def send_order(request: Request) -> Response:
    """"Send to Specter", offered for an order a reconciliation found missing: the "Transfer
    order" export event, whatever the export mode (a person chose to)."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    event_id = await operations.export_order(gateway_of(request), tenant, request.path_params["order_id"])
    return _redirect(f"/tenants/{quote(tenant.id)}/events/{event_id}")


@signed_in
async def reconciliation_csv(request: Request) -> Response:
    """The last reconciliation as a CSV report, to download."""
    tenant = await _tenant(request)
    report = await gateway_of(request).store.get_reconciliation(tenant.id) if tenant else None
    if tenant is None or report is None:
        return _not_found("reconciliation")
    return Response(report_csv(report), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="reconciliation-{tenant.id}-{report.event_id}.csv"',
        "Cache-Control": "no-store"})


# -- events ----------------------------------------------------------------------------------


@signed_in
async def events_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    gw = gateway_of(request)
    q = request.query_params
    kind = q.get("kind") or None
    status: EventStatus | None = q.get("status") if q.get("status") in STATUSES else None  # type: ignore[assignment]
    before = _event_id(q.get("before", ""))
    query = EventFilter(tenant_id=tenant.id, kind=kind, status=status, limit=EVENTS_PER_PAGE, before_id=before)
    events = await gw.store.list_events(query)
    kinds = sorted({*await _kinds(gw, tenant), *([kind] if kind else [])})
    return render(request, "events.html", {
        "tenant": tenant, "events": events, "kinds": kinds, "statuses": STATUSES,
        "filters": {"kind": kind or "", "status": status or ""},
        "counts": await gw.store.count_events(tenant.id),
        "older": events[-1].id if len(events) == EVENTS_PER_PAGE else None,
    })


async def _kinds(gw: Gateway, tenant: Tenant) -> set[str]:
    recent = await gw.store.list_events(EventFilter(tenant_id=tenant.id, limit=500))
    return {e.kind for e in recent} | TENANT_FLOWS.keys()


def _event_id(text: str) -> int | None:
    """An event id as a query gives it; None for anything else (a number too large for the
    store names no event)."""
    return int(text) if re.fullmatch(r"[0-9]{1,19}", text) and 0 < int(text) <= MAX_ID else None


async def _event(request: Request) -> Event | None:
    if request.path_params["event_id"] > MAX_ID:
        return None
    event = await gateway_of(request).store.get_event(request.path_params["event_id"])
    return event if event is not None and event.tenant_id == request.path_params["tenant_id"] else None


@signed_in
async def event_page(request: Request) -> Response:
    tenant, event = await _tenant(request), await _event(request)
    if tenant is None or event is None:
        return _not_found("event")
    return render(request, "event.html", {"tenant": tenant, "event": event, "open": event.status in OPEN_STATUSES})


@signed_in
async def event_status(request: Request) -> Response:
    """The status block of an event page, fetched once a second while the event is open."""
    tenant, event = await _tenant(request), await _event(request)
    if tenant is None or event is None:
        return _not_found("event")
    return render(request, "_event_status.html", {"tenant": tenant, "event": event,
                                                  "open": event.status in OPEN_STATUSES, "now": time.time()})


@signed_in
async def transfer_again(request: Request) -> Response:
    """"Transfer again": one event, or (without an id) every failed event of the tenant."""
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    event_id = request.path_params.get("event_id")
    if event_id is not None and event_id > MAX_ID:
        return _not_found("event")
    ids = await operations.transfer_again(gateway_of(request), tenant.id, event_id)
    back = str((await request.form()).get("back", ""))
    target = back if back.startswith(f"{PREFIX}/tenants/{tenant.id}/") else f"{PREFIX}/tenants/{tenant.id}/events"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}notice={'requeued' if ids else 'nothing'}", status_code=303)


routes: list[BaseRoute] = [
    Route("/", tenants_page),
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/tenants/{tenant_id}", tenant_page),
    Route("/tenants/{tenant_id}/settings", save_settings, methods=["POST"]),
    Route("/tenants/{tenant_id}/shop", save_shop, methods=["POST"]),
    Route("/tenants/{tenant_id}/test", test_connection, methods=["POST"]),
    Route("/tenants/{tenant_id}/service-articles", create_service_articles, methods=["POST"]),
    Route("/tenants/{tenant_id}/register", register_connection, methods=["POST"]),
    Route("/tenants/{tenant_id}/import-token", make_import_token, methods=["POST"]),
    Route("/tenants/{tenant_id}/run/{operation}", start_operation, methods=["POST"]),
    Route("/tenants/{tenant_id}/backfill", backfill, methods=["POST"]),
    Route("/tenants/{tenant_id}/orders/{order_id}/send", send_order, methods=["POST"]),
    Route("/tenants/{tenant_id}/reconciliation.csv", reconciliation_csv),
    Route("/tenants/{tenant_id}/events", events_page),
    Route("/tenants/{tenant_id}/events/retry", transfer_again, methods=["POST"]),
    Route("/tenants/{tenant_id}/events/{event_id:int}", event_page),
    Route("/tenants/{tenant_id}/events/{event_id:int}/status", event_status),
    Route("/tenants/{tenant_id}/events/{event_id:int}/retry", transfer_again, methods=["POST"]),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="console-static"),
]
