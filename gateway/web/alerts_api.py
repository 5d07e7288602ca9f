"""The admin API's alerts and daily reports of a tenant: who is told and how, what was told,
a test message, and the reports (see gateway/alerts/). Mounted beside
:mod:`gateway.web.admin_api`, behind the same admin token; documented in the OpenAPI document
through :data:`PATHS`."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.alerts.notify import send_test
from gateway.alerts.recipients import alert_settings_view, update_alert_settings
from gateway.alerts.reports import build_report
from gateway.model import InvalidInput
from gateway.store.base import MAX_LIST_LIMIT, Alert, AlertMessage, AlertSettings, DailyReport
from gateway.web.admin_api import _json, admin
from gateway.web.responses import error
from gateway.web.state import gateway_of, tenant_service

DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STRUCTS = [AlertSettings, Alert, AlertMessage, DailyReport]


def list_limit(request: Request, default: int) -> int:
    """The ``limit`` query parameter, 1 to MAX_LIST_LIMIT."""
    text = request.query_params.get("limit", str(default))
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIST_LIMIT:
        raise InvalidInput(f"limit must be a number from 1 to {MAX_LIST_LIMIT}, not {text!r}", "limit")
    return int(text)


def report_day(text: str) -> dt.date | None:
    """A report's day as a path gives it (YYYY-MM-DD, or "today"); None for anything else."""
    if text == "today":
        return dt.date.today()
    if not DAY_RE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


async def today_so_far(request: Request, tenant_id: str) -> DailyReport:
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(tenant_id)
    now = time.time()
    report = await build_report(gw, tenant, dt.date.today(), until=now)
    return DailyReport(tenant_id=tenant.id, day=report["day"], report=report, created_at=now)


@admin
async def alerts(request: Request) -> Response:
    """Who is told about the tenant (its AlertSettings, the secret masked), and what was told."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    if request.method == "PATCH":
        saved = await update_alert_settings(gw.store, tenant.id, await _json(request))
        return JSONResponse({"settings": alert_settings_view(saved.settings, saved.made_secret)})
    limit = list_limit(request, 20)
    settings = await gw.store.get_alert_settings(tenant.id) or AlertSettings()
    return JSONResponse({
        "settings": alert_settings_view(settings),
        "messages": msgspec.to_builtins(await gw.store.list_alert_messages(tenant.id, limit)),
        "alerts": msgspec.to_builtins(await gw.store.list_alerts(tenant.id, limit)),
    })


@admin
async def test_alert(request: Request) -> Response:
    """Send a test message by every channel the tenant set, now."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    settings = await gw.store.get_alert_settings(tenant.id) or AlertSettings()
    if not settings.emails and not settings.webhook_url:
        return error(409, "nobody is set to be told: set emails or webhook_url first")
    delivery = await send_test(gw, tenant)
    return JSONResponse({"sent": delivery.sent and not delivery.error, "channels": delivery.channels})


@admin
async def reports(request: Request) -> Response:
    """The tenant's daily reports, the newest day first."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    found = await gw.store.list_daily_reports(tenant.id, list_limit(request, 30))
    return JSONResponse(msgspec.to_builtins(found))


@admin
async def report(request: Request) -> Response:
    """One day's report; "today": the report so far, made now and not kept."""
    gw = gateway_of(request)
    tenant = await tenant_service(request).tenant(request.path_params["tenant_id"])
    text = request.path_params["day"]
    day = report_day(text)
    if day is None:
        return error(404, f"no report for {text[:40]!r}: a day is YYYY-MM-DD, or today")
    if text == "today":
        return JSONResponse(msgspec.to_builtins(await today_so_far(request, tenant.id)))
    found = await gw.store.get_daily_report(tenant.id, day.isoformat())
    if found is None:
        return error(404, f"tenant {tenant.id!r} has no report for {day.isoformat()}")
    return JSONResponse(msgspec.to_builtins(found))


routes = [
    Route("/tenants/{tenant_id}/alerts", alerts, methods=["GET", "PATCH"]),
    Route("/tenants/{tenant_id}/alerts/test", test_alert, methods=["POST"]),
    Route("/tenants/{tenant_id}/reports", reports, methods=["GET"]),
    Route("/tenants/{tenant_id}/reports/{day}", report, methods=["GET"]),
]


def paths() -> dict[str, dict[str, Any]]:
    """These routes in the OpenAPI document (gateway/web/openapi.py)."""
    from gateway.web.openapi import TENANT, _body, _op, _path_param, _ref
    from gateway.web.openapi import _json as json_

    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT}}
    return {
        "/tenants/{tenant_id}/alerts": {
            "parameters": [TENANT],
            "get": _op("Who is told about the tenant's trouble and how (the webhook secret masked), the newest "
                       "messages sent and the newest alerts", {"200": json_({"type": "object", "properties": {
                           "settings": _ref("AlertSettings"),
                           "messages": {"type": "array", "items": _ref("AlertMessage")},
                           "alerts": {"type": "array", "items": _ref("Alert")}}})},
                       parameters=[limit | {"description": "How many messages and alerts (default 20)"}]),
            "patch": _op("Change who is told: fields replace; a masked secret keeps the stored one; a webhook URL "
                         "without a secret gets one made, shown in this answer only",
                         {"200": json_({"type": "object", "properties": {"settings": _ref("AlertSettings")}})},
                         requestBody=_body(_ref("AlertSettings"), "Fields of AlertSettings to change")),
        },
        "/tenants/{tenant_id}/alerts/test": {
            "parameters": [TENANT],
            "post": _op("Send a test message by every channel set, now (not held back by the quiet hour)",
                        {"200": json_({"type": "object", "properties": {
                            "sent": {"type": "boolean", "description": "Every channel delivered"},
                            "channels": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
                                         "description": "Per channel: null when delivered, else why not"}}}),
                         "409": {"$ref": "#/components/responses/Error"}}),
        },
        "/tenants/{tenant_id}/reports": {
            "parameters": [TENANT],
            "get": _op("The tenant's daily reports (what failed and why, what was healed, counts per flow), the "
                       "newest day first", {"200": json_({"type": "array", "items": _ref("DailyReport")})},
                       parameters=[limit | {"description": "How many (default 30)"}]),
        },
        "/tenants/{tenant_id}/reports/{day}": {
            "parameters": [TENANT, _path_param("day", "YYYY-MM-DD, or today for the report so far")],
            "get": _op("One day's report", {"200": json_(_ref("DailyReport"))}),
        },
    }
