"""The console's alerts and reports of a tenant: who is told and how (with a test message),
what was told, and the daily reports (see gateway/alerts/). A tenant's user sees its own."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.alerts import causes
from gateway.alerts.notify import send_test
from gateway.alerts.recipients import update_alert_settings
from gateway.alerts.reports import build_report
from gateway.model import InvalidInput
from gateway.secrets import MASK
from gateway.settings import Tenant
from gateway.store.base import AlertSettings, DailyReport
from gateway.web.alerts_api import report_day
from gateway.web.console.auth import signed_in
from gateway.web.console.routes import _not_found, _redirect, _tenant, render
from gateway.web.state import gateway_of

SHOWN = 50  # messages and alerts on the page
REPORTS_SHOWN = 60


def _form_patch(form: FormData) -> dict[str, Any]:
    emails = [e.strip() for e in re.split(r"[\s,;]+", str(form.get("emails", ""))) if e.strip()]
    return {"emails": emails, "webhook_url": str(form.get("webhook_url", "")).strip(),
            "webhook_secret": str(form.get("webhook_secret", "")), "daily_report": "daily_report" in form}


async def _context(request: Request, tenant: Tenant, settings: AlertSettings | None = None) -> dict[str, Any]:
    gw = gateway_of(request)
    stored = await gw.store.get_alert_settings(tenant.id) or AlertSettings()
    shown = settings or stored
    return {
        "tenant": tenant,
        "values": {"emails": "\n".join(shown.emails), "webhook_url": shown.webhook_url,
                   "webhook_secret": MASK if stored.webhook_secret else "", "daily_report": shown.daily_report},
        "messages": await gw.store.list_alert_messages(tenant.id, SHOWN),
        "alerts": await gw.store.list_alerts(tenant.id, SHOWN),
        "title": causes.title,
        "smtp": f"{gw.config.smtp_host}:{gw.config.smtp_port}" if gw.config.smtp_host else "",
        "quiet_minutes": round(gw.config.alert_quiet_seconds / 60),
        "error": None, "made_secret": None, "test": None,
    }


@signed_in
async def alerts_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    return render(request, "alerts.html", await _context(request, tenant))


@signed_in
async def save_alerts(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    form = await request.form()
    patch = _form_patch(form)
    try:
        saved = await update_alert_settings(gateway_of(request).store, tenant.id, patch)
    except InvalidInput as exc:
        context = await _context(request, tenant)
        context["values"] |= {"emails": str(form.get("emails", "")), "webhook_url": patch["webhook_url"],
                              "daily_report": patch["daily_report"]}
        context["error"] = str(exc).split(" - at `")[0]
        return render(request, "alerts.html", context, 422)
    if saved.made_secret:  # shown in this answer only, never in a redirect's URL
        context = await _context(request, tenant)
        context["made_secret"] = saved.made_secret
        return render(request, "alerts.html", context | {"notice": "alerts"})
    return _redirect(f"/tenants/{quote(tenant.id)}/alerts", notice="alerts")


@signed_in
async def test_alerts(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    context = await _context(request, tenant)
    settings = await gateway_of(request).store.get_alert_settings(tenant.id) or AlertSettings()
    if not settings.emails and not settings.webhook_url:
        context["test"] = {"nobody": True, "channels": {}}
    else:
        context["test"] = {"nobody": False, "channels": (await send_test(gateway_of(request), tenant)).channels}
    return render(request, "alerts.html", context)


@signed_in
async def reports_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    found = await gateway_of(request).store.list_daily_reports(tenant.id, REPORTS_SHOWN)
    return render(request, "reports.html", {"tenant": tenant, "reports": found,
                                            "report_hour": gateway_of(request).config.report_hour})


@signed_in
async def report_page(request: Request) -> Response:
    tenant = await _tenant(request)
    if tenant is None:
        return _not_found("tenant")
    gw = gateway_of(request)
    text = request.path_params["day"]
    day = report_day(text)
    found: DailyReport | None = None
    if text == "today":
        now = time.time()
        found = DailyReport(tenant_id=tenant.id, day=dt.date.today().isoformat(), created_at=now,
                            report=await build_report(gw, tenant, dt.date.today(), until=now))
    elif day is not None:
        found = await gw.store.get_daily_report(tenant.id, day.isoformat())
    if found is None:
        return _not_found("report")
    return render(request, "report.html", {"tenant": tenant, "r": found.report, "saved": found,
                                           "so_far": text == "today"})


routes: list[BaseRoute] = [
    Route("/tenants/{tenant_id}/alerts", alerts_page),
    Route("/tenants/{tenant_id}/alerts", save_alerts, methods=["POST"]),
    Route("/tenants/{tenant_id}/alerts/test", test_alerts, methods=["POST"]),
    Route("/tenants/{tenant_id}/reports", reports_page),
    Route("/tenants/{tenant_id}/reports/{day}", report_page),
]
