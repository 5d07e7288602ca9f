"""The daily report per tenant: what failed and why, what was healed, counts per flow, like
the nightly error reports integration platforms send. Kept for the console, e-mailed to the
tenant's alert addresses when its ``daily_report`` is on.

A report covers one calendar day in the server's local time, and is made after ``report_hour``
the next morning by :func:`make_due_reports` (the web process's alert loop); a report the
gateway was not running to make is not made later.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING, Any

from gateway import events
from gateway.alerts import causes
from gateway.alerts.channels import NotSent, send_email
from gateway.settings import Tenant
from gateway.store.base import AlertSettings, DailyReport, EventSummary

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.alerts")

REPORTS_KEPT_DAYS = 90
ALERTS_COUNTED = 1000  # the newest alerts of a tenant counted in its report

# How the report names each kind of event (the flows a shop owner recognises).
FLOWS: dict[str, str] = {
    events.ShopOrder.kind: "Orders to Specter",
    events.ShopCustomer.kind: "Customers to Specter",
    events.ShopProduct.kind: "Products to Specter",
    events.ExportProducts.kind: "Product export",
    events.ExportCustomers.kind: "Customer export",
    events.ProductImport.kind: "Product import",
    events.StockPush.kind: "Stock to the shop",
    events.StockRealign.kind: "Stock given back to the shop",
    events.StockResync.kind: "Stock update",
    events.ArticlesPush.kind: "Articles to the shop",
    events.OrdersPush.kind: "Order status to the shop",
}


def flow_title(kind: str) -> str:
    return FLOWS.get(kind, kind)


def day_window(day: dt.date) -> tuple[float, float]:
    """The day's start and the next day's, local midnight to local midnight, as Unix times."""
    start = dt.datetime.combine(day, dt.time()).astimezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).astimezone()
    return start.timestamp(), end.timestamp()


def due_day(now: dt.datetime, report_hour: int) -> dt.date | None:
    """The day whose report is due at ``now`` (local): yesterday, once ``report_hour`` has come."""
    return now.date() - dt.timedelta(days=1) if now.hour >= report_hour else None


async def build_report(gw: Gateway, tenant: Tenant, day: dt.date, *, until: float | None = None) -> dict[str, Any]:
    """The report on one day (up to ``until``, for today so far)."""
    since, end = day_window(day)
    end = min(end, until) if until is not None else end
    summary = await gw.store.summarize_events(tenant.id, since, end)
    health = await gw.store.get_webhook_health(tenant.id)
    repairs = [r for r in (health.repairs if health else []) if since <= r.at < end]
    alerts = [a for a in await gw.store.list_alerts(tenant.id, ALERTS_COUNTED) if since <= a.created_at < end]
    told: dict[str, int] = {}
    for alert in alerts:
        told[causes.title(alert.cause)] = told.get(causes.title(alert.cause), 0) + 1
    counts = await gw.store.count_events(tenant.id)
    return {
        "tenant_id": tenant.id,
        "tenant_name": tenant.name or tenant.id,
        "day": day.isoformat(),
        "from": since,
        "until": end,
        "flows": _flows(summary),
        "failed": [{"kind": g.kind, "flow": flow_title(g.kind), "reason": g.reason, "count": g.count,
                    "event_ids": g.event_ids} for g in summary.failures],
        "healed": [{"what": f"{g.count} × {flow_title(g.kind)}: went through after a retry", "kind": g.kind,
                    "count": g.count, "event_ids": g.event_ids} for g in summary.healed]
        + [{"what": f"{r.topic} webhook {r.webhook_id} {r.repaired} (it was {r.found})", "kind": "webhook",
            "count": 1, "event_ids": []} for r in repairs],
        "alerts": told,
        "now": {"waiting": counts["pending"] + counts["running"] + counts["retry"], "failed": counts["dead"]},
    }


def _flows(summary: EventSummary) -> list[dict[str, Any]]:
    flows: dict[str, dict[str, Any]] = {}
    for row in summary.counts:
        flow = flows.setdefault(row.kind, {"kind": row.kind, "flow": flow_title(row.kind), "done": 0, "failed": 0,
                                           "skipped": 0, "open": 0})
        key = {"done": "done", "dead": "failed", "skipped": "skipped"}.get(row.status, "open")
        flow[key] += row.count
    return sorted(flows.values(), key=lambda f: (f["kind"] not in FLOWS, f["flow"]))


def render_text(report: dict[str, Any], console_url: str) -> tuple[str, str]:
    """The report as an e-mail's subject and plain text."""
    failed = sum(f["count"] for f in report["failed"])
    subject = (f"[Specter Gateway] {report['tenant_name']}: report for {report['day']} — "
               f"{failed} failed, {sum(h['count'] for h in report['healed'])} healed")
    lines = [f"Daily report for shop {report['tenant_name']} ({report['tenant_id']}), {report['day']}.", ""]
    lines.append("What failed, and why:")
    lines += [f"- {f['count']} × {f['flow']}: {f['reason']}" for f in report["failed"]] or ["- nothing"]
    lines += ["", "What was healed:"]
    lines += [f"- {h['what']}" for h in report["healed"]] or ["- nothing needed healing"]
    lines += ["", "Per flow (done / failed / skipped):"]
    lines += [f"- {f['flow']}: {f['done']} / {f['failed']} / {f['skipped']}" for f in report["flows"]] or [
        "- nothing happened"]
    if report["alerts"]:
        lines += ["", "Alerts sent:"] + [f"- {title}: {n}" for title, n in report["alerts"].items()]
    lines += ["", f"Now: {report['now']['waiting']} waiting, {report['now']['failed']} failed.",
              f"The reports in the console: {console_url}/reports"]
    return subject, "\n".join(lines)


async def make_due_reports(gw: Gateway, now: dt.datetime | None = None) -> list[DailyReport]:
    """Make yesterday's report for every tenant that lacks one, once ``report_hour`` has come,
    and e-mail each. Answers the reports made now.

    Two gateway nodes may both build a tenant's report; the store keeps the first
    (:meth:`Store.put_daily_report`) and only the e-mail's claim sends it."""
    now = now or dt.datetime.now().astimezone()
    day = due_day(now, gw.config.report_hour)
    if day is None:
        return []
    made = []
    for tenant in await gw.store.list_tenants():
        if await gw.store.get_daily_report(tenant.id, day.isoformat()) is not None:
            continue
        report = DailyReport(tenant_id=tenant.id, day=day.isoformat(), report=await build_report(gw, tenant, day),
                             created_at=time.time())
        if await gw.store.put_daily_report(report):
            made.append(report)
    if made:
        await gw.store.prune_alerts(time.time() - REPORTS_KEPT_DAYS * 86400)
    return made


async def email_reports(gw: Gateway) -> int:
    """E-mail each report of the last day not yet e-mailed to its tenant's addresses (when its
    daily report is on); answers how many went. A report is claimed first, so one node sends it;
    one whose e-mail failed is tried again after ``alert_retry_seconds``, for a day."""
    sent = 0
    for tenant_id, day in await gw.store.unsent_daily_reports(time.time() - 86400):
        settings = await gw.store.get_alert_settings(tenant_id) or AlertSettings()
        if not settings.emails or not settings.daily_report:
            continue
        report = await gw.store.claim_daily_report(tenant_id, day, gw.config.alert_retry_seconds)
        if report is None:
            continue
        url = f"{gw.config.public_url.rstrip('/')}/admin/tenants/{tenant_id}"
        subject, text = render_text(report.report, url)
        try:
            await send_email(gw.config, settings.emails, subject, text)
        except NotSent as exc:
            await gw.store.finish_daily_report(tenant_id, day, sent=False, error=str(exc))
            log.warning("tenant %s's report for %s was not e-mailed: %s", tenant_id, day, exc)
            continue
        await gw.store.finish_daily_report(tenant_id, day, sent=True, error=None)
        sent += 1
    return sent
