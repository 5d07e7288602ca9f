"""The SQLite store's alerts, daily reports and failed sign-ins (see gateway/alerts/ and the
console's sign-in), kept apart from the rest of :mod:`gateway.store.sqlite`.

Claiming alerts for a message and a report for its e-mail are single write transactions (the
store's one writer here; ``BEGIN IMMEDIATE`` between processes), so two senders, in one process
or in several gateway nodes, never send the same alerts or the same report twice.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from gateway.errors import ConfigError
from gateway.store.base import (
    Alert,
    AlertMessage,
    AlertSettings,
    DailyReport,
    EventGroup,
    EventSummary,
    KindCount,
)

if TYPE_CHECKING:  # pragma: no cover
    from gateway.store.sealing import Sealer

T = TypeVar("T")
FAILURE_GROUPS = 20  # reasons listed in a summary; the rest are in the counts
SAMPLE_IDS = 5  # event ids named per group
SIGNIN_FAILURES_KEPT = 86400.0  # seconds: longer than any lock-out
# What a stale message (its sender died) says, for the console.
STALE = "the sender stopped before it finished; told again in the next message"

_encode = msgspec.json.Encoder().encode


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(**dict(row))


def _message(row: sqlite3.Row) -> AlertMessage:
    return AlertMessage(**dict(row))


def _report(row: sqlite3.Row) -> DailyReport:
    data = dict(row)
    data.pop("tried_at", None)
    data["report"] = msgspec.json.decode(data["report"])
    return DailyReport(**data)


def _ids(text: str | None) -> list[int]:
    return [int(i) for i in (text or "").split(",") if i][:SAMPLE_IDS]


class AlertsSQL:
    """Mixed into :class:`gateway.store.sqlite.SQLiteStore`, which provides the plumbing."""

    if TYPE_CHECKING:  # pragma: no cover - provided by SQLiteStore
        async def _write(self, op: Callable[[sqlite3.Connection], T]) -> T: ...
        async def _execute(self, sql: str, params: Any = ()) -> int: ...
        async def _read(self, sql: str, params: Any = ()) -> list[sqlite3.Row]: ...
        async def _read_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None: ...
        _sealer: Sealer

    # -- who is told ---------------------------------------------------------------------------

    async def put_alert_settings(self, tenant_id: str, settings: AlertSettings) -> None:
        data, secrets = self._sealer.alert_settings_row(settings)
        await self._execute(
            "INSERT INTO alert_settings (tenant_id, data, secrets, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant_id) DO UPDATE SET data = excluded.data, secrets = excluded.secrets,"
            " updated_at = excluded.updated_at",
            (tenant_id, data, secrets, time.time()))

    async def get_alert_settings(self, tenant_id: str) -> AlertSettings | None:
        row = await self._read_one("SELECT data, secrets FROM alert_settings WHERE tenant_id = ?", (tenant_id,))
        if row is None:
            return None
        return self._sealer.alert_settings(row["data"], row["secrets"])

    # -- alerts and their messages -------------------------------------------------------------

    async def record_alert(self, tenant_id: str, cause: str, detail: str) -> int:
        def op(conn: sqlite3.Connection) -> int:
            if conn.execute("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,)).fetchone() is None:
                raise ConfigError(f"unknown tenant {tenant_id!r}")
            cursor = conn.execute("INSERT INTO alerts (tenant_id, cause, detail, created_at) VALUES (?, ?, ?, ?)",
                                  (tenant_id, cause, detail, time.time()))
            return int(cursor.lastrowid or 0)

        return await self._write(op)

    async def claim_alerts(self, tenant_id: str, cause: str, *, quiet_seconds: float, retry_seconds: float,
                           lease_seconds: float, limit: int) -> tuple[AlertMessage, list[Alert]] | None:
        def op(conn: sqlite3.Connection) -> tuple[AlertMessage, list[Alert]] | None:
            now = time.time()
            stale = [row[0] for row in conn.execute(
                "SELECT id FROM alert_messages WHERE tenant_id = ? AND cause = ? AND sent_at IS NULL"
                " AND error IS NULL AND claimed_at <= ?", (tenant_id, cause, now - lease_seconds))]
            for message_id in stale:
                conn.execute("UPDATE alert_messages SET error = ? WHERE id = ?", (STALE, message_id))
                conn.execute("UPDATE alerts SET message_id = NULL WHERE message_id = ?", (message_id,))
            blocked = conn.execute(
                "SELECT 1 FROM alert_messages WHERE tenant_id = ? AND cause = ? AND ("
                " (sent_at IS NOT NULL AND sent_at > ?)"
                " OR (sent_at IS NULL AND error IS NULL)"
                " OR (sent_at IS NULL AND error IS NOT NULL AND claimed_at > ?)) LIMIT 1",
                (tenant_id, cause, now - quiet_seconds, now - retry_seconds)).fetchone()
            if blocked is not None:
                return None
            waiting = conn.execute(
                "SELECT COUNT(*) FROM alerts WHERE tenant_id = ? AND cause = ? AND message_id IS NULL",
                (tenant_id, cause)).fetchone()[0]
            if not waiting:
                return None
            cursor = conn.execute(
                "INSERT INTO alert_messages (tenant_id, cause, alerts, claimed_at) VALUES (?, ?, ?, ?)",
                (tenant_id, cause, waiting, now))
            message_id = int(cursor.lastrowid or 0)
            conn.execute("UPDATE alerts SET message_id = ? WHERE tenant_id = ? AND cause = ? AND message_id IS NULL",
                         (message_id, tenant_id, cause))
            alerts = [_alert(row) for row in conn.execute(
                "SELECT * FROM alerts WHERE message_id = ? ORDER BY id LIMIT ?", (message_id, limit))]
            return AlertMessage(id=message_id, tenant_id=tenant_id, cause=cause, alerts=waiting, claimed_at=now), alerts

        return await self._write(op)

    async def finish_alert_message(self, message_id: int, *, sent: bool, channels: str,
                                   error: str | None) -> None:
        def op(conn: sqlite3.Connection) -> None:
            if sent:
                conn.execute("UPDATE alert_messages SET sent_at = ?, channels = ?, error = ? WHERE id = ?",
                             (time.time(), channels, error, message_id))
                return
            conn.execute("UPDATE alert_messages SET channels = ?, error = ? WHERE id = ?",
                         (channels, error or "not sent", message_id))
            conn.execute("UPDATE alerts SET message_id = NULL WHERE message_id = ?", (message_id,))

        await self._write(op)

    async def waiting_alert_causes(self, lease_seconds: float) -> list[tuple[str, str]]:
        rows = await self._read(
            "SELECT DISTINCT tenant_id, cause FROM alerts WHERE message_id IS NULL"
            " UNION SELECT tenant_id, cause FROM alert_messages WHERE sent_at IS NULL AND error IS NULL"
            " AND claimed_at <= ? ORDER BY 1, 2", (time.time() - lease_seconds,))
        return [(row[0], row[1]) for row in rows]

    async def list_alerts(self, tenant_id: str, limit: int) -> list[Alert]:
        rows = await self._read("SELECT * FROM alerts WHERE tenant_id = ? ORDER BY id DESC LIMIT ?",
                                (tenant_id, limit))
        return [_alert(row) for row in rows]

    async def list_alert_messages(self, tenant_id: str, limit: int) -> list[AlertMessage]:
        rows = await self._read("SELECT * FROM alert_messages WHERE tenant_id = ? ORDER BY id DESC LIMIT ?",
                                (tenant_id, limit))
        return [_message(row) for row in rows]

    # -- daily reports -------------------------------------------------------------------------

    async def put_daily_report(self, report: DailyReport) -> bool:
        return await self._execute(
            "INSERT INTO daily_reports (tenant_id, day, report, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tenant_id, day) DO NOTHING",
            (report.tenant_id, report.day, _encode(report.report).decode(), report.created_at)) > 0

    async def claim_daily_report(self, tenant_id: str, day: str, retry_seconds: float) -> DailyReport | None:
        def op(conn: sqlite3.Connection) -> DailyReport | None:
            now = time.time()
            taken = conn.execute(
                "UPDATE daily_reports SET tried_at = ? WHERE tenant_id = ? AND day = ? AND sent_at IS NULL"
                " AND tried_at <= ?", (now, tenant_id, day, now - retry_seconds)).rowcount
            if not taken:
                return None
            row = conn.execute("SELECT * FROM daily_reports WHERE tenant_id = ? AND day = ?",
                               (tenant_id, day)).fetchone()
            return _report(row)

        return await self._write(op)

    async def finish_daily_report(self, tenant_id: str, day: str, *, sent: bool, error: str | None) -> None:
        await self._execute("UPDATE daily_reports SET sent_at = ?, error = ? WHERE tenant_id = ? AND day = ?",
                            (time.time() if sent else None, error, tenant_id, day))

    async def unsent_daily_reports(self, since: float) -> list[tuple[str, str]]:
        rows = await self._read("SELECT tenant_id, day FROM daily_reports WHERE sent_at IS NULL AND created_at >= ?"
                                " ORDER BY day, tenant_id", (since,))
        return [(row[0], row[1]) for row in rows]

    async def get_daily_report(self, tenant_id: str, day: str) -> DailyReport | None:
        row = await self._read_one("SELECT * FROM daily_reports WHERE tenant_id = ? AND day = ?", (tenant_id, day))
        return _report(row) if row else None

    async def list_daily_reports(self, tenant_id: str, limit: int) -> list[DailyReport]:
        rows = await self._read("SELECT * FROM daily_reports WHERE tenant_id = ? ORDER BY day DESC LIMIT ?",
                                (tenant_id, limit))
        return [_report(row) for row in rows]

    async def summarize_events(self, tenant_id: str, since: float, until: float) -> EventSummary:
        window = (tenant_id, since, until)
        in_window = "tenant_id = ? AND updated_at >= ? AND updated_at < ?"
        counts = await self._read(
            f"SELECT kind, status, COUNT(DISTINCT subject) FROM events WHERE {in_window} GROUP BY kind, status"
            " ORDER BY kind, status",
            window)
        failures = await self._read(
            f"SELECT kind, COALESCE(last_error, ''), COUNT(DISTINCT subject), GROUP_CONCAT(id) FROM"
            f" (SELECT kind, last_error, subject, id FROM events WHERE {in_window} AND status = 'dead'"
            " ORDER BY id DESC)"
            " GROUP BY kind, last_error ORDER BY COUNT(DISTINCT subject) DESC, MAX(id) DESC LIMIT ?",
            (*window, FAILURE_GROUPS))
        healed = await self._read(
            f"SELECT kind, COUNT(DISTINCT subject), GROUP_CONCAT(id) FROM (SELECT kind, subject, id FROM events"
            f" WHERE {in_window} AND status = 'done' AND attempts > 1 ORDER BY id DESC)"
            " GROUP BY kind ORDER BY kind", window)
        return EventSummary(
            counts=[KindCount(kind=k, status=s, count=n) for k, s, n in counts],
            failures=[EventGroup(kind=k, reason=r, count=n, event_ids=_ids(ids)) for k, r, n, ids in failures],
            healed=[EventGroup(kind=k, count=n, event_ids=_ids(ids)) for k, n, ids in healed],
        )

    async def prune_alerts(self, before: float) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM alerts WHERE created_at < ? AND message_id IN"
                         " (SELECT id FROM alert_messages WHERE sent_at IS NOT NULL)", (before,))
            conn.execute("DELETE FROM alert_messages WHERE claimed_at < ?"
                         " AND NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.message_id = alert_messages.id)",
                         (before,))
            conn.execute("DELETE FROM daily_reports WHERE created_at < ?", (before,))

        await self._write(op)

    # -- failed sign-ins -----------------------------------------------------------------------

    async def record_signin_failure(self, keys: list[str], at: float) -> None:
        def op(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT INTO signin_failures (key, at) VALUES (?, ?)", [(key, at) for key in keys])
            conn.execute("DELETE FROM signin_failures WHERE at < ?", (at - SIGNIN_FAILURES_KEPT,))

        await self._write(op)

    async def signin_failures(self, key: str, since: float) -> list[float]:
        rows = await self._read("SELECT at FROM signin_failures WHERE key = ? AND at >= ? ORDER BY at", (key, since))
        return [float(row[0]) for row in rows]

    async def clear_signin_failures(self, key: str) -> None:
        await self._execute("DELETE FROM signin_failures WHERE key = ?", (key,))
