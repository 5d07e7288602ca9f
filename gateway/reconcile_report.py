"""A tenant's last reconciliation as people read it: JSON for the admin API, lines for the CLI,
and a CSV report (one row per drift healed and per finding) for the console and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import msgspec

from gateway.store.base import Reconciliation

PROBLEMS = {
    "refused": "refused",
    "dead": "failed until the gateway gave up",
    "never_seen": "never reached the gateway",
    "missing_in_specter": "not in Specter",
    "missing_in_shop": "not in the shop",
}
CSV_COLUMNS = ("section", "key", "label", "problem", "shop", "specter", "reason", "event_id")


def report_view(report: Reconciliation) -> dict[str, Any]:
    """The report as JSON, with its counts."""
    view: dict[str, Any] = msgspec.to_builtins(report)
    return view | {"counts": report.counts()}


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def report_lines(report: Reconciliation) -> list[str]:
    """The report for a terminal: a summary line, then what was healed and what needs a person."""
    lines = [
        f"reconciled {report.tenant_id} at {_when(report.finished_at)} ({report.trigger}, event {report.event_id}): "
        f"{report.articles} articles compared, {report.stock_healed_count} stock levels and "
        f"{report.prices_healed_count} prices healed; {report.orders} orders of the last {report.order_days} days, "
        f"{report.orders_in_specter} in Specter, {report.orders_on_the_way} on the way; "
        f"{report.needs_person_count} need a person"]
    lines += [f"note\t{note}" for note in report.notes]
    lines += [f"stock healed\t{d.article_no}\tshop {d.shop}\tSpecter {d.specter}" for d in report.stock_healed]
    lines += [f"price healed\t{d.article_no}\tshop {d.shop}\tSpecter {d.specter}" for d in report.prices_healed]
    for finding in report.needs_person:
        name = f"{finding.what} {finding.label}" if finding.label and finding.label != finding.key else finding.what
        lines.append(f"needs a person\t{name} ({finding.key})\t{PROBLEMS[finding.problem]}\t{finding.reason}")
    shown = len(report.needs_person)
    if shown < report.needs_person_count:
        lines.append(f"... and {report.needs_person_count - shown} more not listed")
    return lines


def report_csv(report: Reconciliation) -> str:
    """One row per drift healed and per finding, as kept (the first of each kind)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section, drifts in (("stock", report.stock_healed), ("price", report.prices_healed)):
        for d in drifts:
            writer.writerow([section, d.article_no, "", "healed", d.shop, d.specter, "", ""])
    for f in report.needs_person:
        writer.writerow([f.what, f.key, f.label, f.problem, "", "", f.reason, f.event_id or ""])
    return out.getvalue()
