"""The PostgreSQL store's alerts, daily reports and failed sign-ins: the counterpart of
:mod:`gateway.store.sqlite_alerts`, kept apart from the rest of :mod:`gateway.store.postgres`.

Several nodes send alerts and reports at once here, so where SQLite's single writer made a
claim safe by itself, each claim says how it stays correct: claiming a tenant's alerts of one
cause takes a transaction-level advisory lock on (tenant, cause), and claiming a daily report is
one UPDATE whose row lock lets only one of two senders through.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
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
from gateway.store.sqlite_alerts import FAILURE_GROUPS, SAMPLE_IDS, SIGNIN_FAILURES_KEPT, STALE

if TYPE_CHECKING:  # pragma: no cover
    from asyncpg.pool import PoolConnectionProxy

    from gateway.store.sealing import Sealer

    Conn = PoolConnectionProxy[asyncpg.Record]

T = TypeVar("T")
# pg_advisory_xact_lock(LOCK_ALERTS, hash of tenant and cause): one claim of a tenant's alerts of
# one cause at a time (the namespaces 1-4 are the store's and the migrations').
LOCK_ALERTS = 5

_encode = msgspec.json.Encoder().encode


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1]) if status and status[-1].isdigit() else 0


def _alert(row: asyncpg.Record) -> Alert:
    return Alert(**dict(row))


def _message(row: asyncpg.Record) -> AlertMessage:
    return AlertMessage(**dict(row))


def _report(row: asyncpg.Record) -> DailyReport:
    data = dict(row)
    data.pop("tried_at", None)
    data["report"] = msgspec.json.decode(data["report"])
    return DailyReport(**data)


def _ids(text: str | None) -> list[int]:
    return [int(i) for i in (text or "").split(",") if i][:SAMPLE_IDS]


class AlertsSQL:
    """Mixed into :class:`gateway.store.postgres.PostgresStore`, which provides the plumbing."""

    if TYPE_CHECKING:  # pragma: no cover - provided by PostgresStore
        _sealer: Sealer

        async def _transaction(self, op: Callable[[Conn], Awaitable[T]]) -> T: ...
        async def _execute(self, sql: str, *args: Any) -> int: ...
        async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...
        async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None: ...

    # -- who is told ---------------------------------------------------------------------------

    async def put_alert_settings(self, tenant_id: str, settings: AlertSettings) -> None:
        data, secrets = self._sealer.alert_settings_row(settings)
        await self._execute(
            "INSERT INTO alert_settings (tenant_id, data, secrets, updated_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (tenant_id) DO UPDATE SET data = excluded.data, secrets = excluded.secrets,"
            " updated_at = excluded.updated_at",
            tenant_id, data, secrets, time.time())

    async def get_alert_settings(self, tenant_id: str) -> AlertSettings | None:
        row = await self._fetchrow("SELECT data, secrets FROM alert_settings WHERE tenant_id = $1", tenant_id)
        if row is None:
            return None
        return self._sealer.alert_settings(row["data"], row["secrets"])

    # -- alerts and their messages -------------------------------------------------------------

    async def record_alert(self, tenant_id: str, cause: str, detail: str) -> int:
        """The foreign key refuses an unknown tenant (one removed meanwhile too)."""
        try:
            alert_id = await self._fetchrow(
                "INSERT INTO alerts (tenant_id, cause, detail, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                tenant_id, cause, detail, time.time())
        except asyncpg.ForeignKeyViolationError:
            raise ConfigError(f"unknown tenant {tenant_id!r}") from None
        assert alert_id is not None
        return int(alert_id[0])

    async def claim_alerts(self, tenant_id: str, cause: str, *, quiet_seconds: float, retry_seconds: float,
                           lease_seconds: float, limit: int) -> tuple[AlertMessage, list[Alert]] | None:
        """Two nodes claiming the same tenant's alerts of one cause take turns on the advisory
        lock of (tenant, cause); the second's statements begin after the first committed, so it
        finds the first's message being sent (or sent) and claims nothing. An alert recorded
        meanwhile is taken only if the UPDATE that takes them sees it, and the count is of what
        that UPDATE took."""

        async def op(conn: Conn) -> tuple[AlertMessage, list[Alert]] | None:
            await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || $3))",
                               LOCK_ALERTS, tenant_id, cause)
            now = time.time()
            stale = [row[0] for row in await conn.fetch(
                "UPDATE alert_messages SET error = $4 WHERE tenant_id = $1 AND cause = $2 AND sent_at IS NULL"
                " AND error IS NULL AND claimed_at <= $3 RETURNING id", tenant_id, cause, now - lease_seconds, STALE)]
            if stale:
                await conn.execute("UPDATE alerts SET message_id = NULL WHERE message_id = ANY($1::bigint[])", stale)
            blocked = await conn.fetchrow(
                "SELECT 1 FROM alert_messages WHERE tenant_id = $1 AND cause = $2 AND ("
                " (sent_at IS NOT NULL AND sent_at > $3)"
                " OR (sent_at IS NULL AND error IS NULL)"
                " OR (sent_at IS NULL AND error IS NOT NULL AND claimed_at > $4)) LIMIT 1",
                tenant_id, cause, now - quiet_seconds, now - retry_seconds)
            if blocked is not None:
                return None
            if await conn.fetchrow("SELECT 1 FROM alerts WHERE tenant_id = $1 AND cause = $2 AND message_id IS NULL"
                                   " LIMIT 1", tenant_id, cause) is None:
                return None
            message_id: int = await conn.fetchval(
                "INSERT INTO alert_messages (tenant_id, cause, alerts, claimed_at) VALUES ($1, $2, 0, $3) RETURNING id",
                tenant_id, cause, now)
            taken = _count(await conn.execute(
                "UPDATE alerts SET message_id = $1 WHERE tenant_id = $2 AND cause = $3 AND message_id IS NULL",
                message_id, tenant_id, cause))
            await conn.execute("UPDATE alert_messages SET alerts = $1 WHERE id = $2", taken, message_id)
            alerts = [_alert(row) for row in await conn.fetch(
                "SELECT * FROM alerts WHERE message_id = $1 ORDER BY id LIMIT $2", message_id, limit)]
            return AlertMessage(id=message_id, tenant_id=tenant_id, cause=cause, alerts=taken, claimed_at=now), alerts

        return await self._transaction(op)

    async def finish_alert_message(self, message_id: int, *, sent: bool, channels: str,
                                   error: str | None) -> None:
        async def op(conn: Conn) -> None:
            if sent:
                await conn.execute("UPDATE alert_messages SET sent_at = $1, channels = $2, error = $3 WHERE id = $4",
                                   time.time(), channels, error, message_id)
                return
            await conn.execute("UPDATE alert_messages SET channels = $1, error = $2 WHERE id = $3",
                               channels, error or "not sent", message_id)
            await conn.execute("UPDATE alerts SET message_id = NULL WHERE message_id = $1", message_id)

        await self._transaction(op)

    async def waiting_alert_causes(self, lease_seconds: float) -> list[tuple[str, str]]:
        rows = await self._fetch(
            "SELECT DISTINCT tenant_id, cause FROM alerts WHERE message_id IS NULL"
            " UNION SELECT tenant_id, cause FROM alert_messages WHERE sent_at IS NULL AND error IS NULL"
            " AND claimed_at <= $1 ORDER BY 1, 2", time.time() - lease_seconds)
        return [(row[0], row[1]) for row in rows]

    async def list_alerts(self, tenant_id: str, limit: int) -> list[Alert]:
        rows = await self._fetch("SELECT * FROM alerts WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
                                 tenant_id, limit)
        return [_alert(row) for row in rows]

    async def list_alert_messages(self, tenant_id: str, limit: int) -> list[AlertMessage]:
        rows = await self._fetch("SELECT * FROM alert_messages WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
                                 tenant_id, limit)
        return [_message(row) for row in rows]

    # -- daily reports -------------------------------------------------------------------------

    async def put_daily_report(self, report: DailyReport) -> bool:
        return await self._execute(
            "INSERT INTO daily_reports (tenant_id, day, report, created_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (tenant_id, day) DO NOTHING",
            report.tenant_id, report.day, _encode(report.report).decode(), report.created_at) > 0

    async def claim_daily_report(self, tenant_id: str, day: str, retry_seconds: float) -> DailyReport | None:
        """One UPDATE: of two senders at once, the second waits for the first's row lock, then
        finds tried_at just set and takes nothing."""
        now = time.time()
        row = await self._fetchrow(
            "UPDATE daily_reports SET tried_at = $1 WHERE tenant_id = $2 AND day = $3 AND sent_at IS NULL"
            " AND tried_at <= $4 RETURNING *", now, tenant_id, day, now - retry_seconds)
        return _report(row) if row else None

    async def finish_daily_report(self, tenant_id: str, day: str, *, sent: bool, error: str | None) -> None:
        await self._execute("UPDATE daily_reports SET sent_at = $1, error = $2 WHERE tenant_id = $3 AND day = $4",
                            time.time() if sent else None, error, tenant_id, day)

    async def unsent_daily_reports(self, since: float) -> list[tuple[str, str]]:
        rows = await self._fetch("SELECT tenant_id, day FROM daily_reports WHERE sent_at IS NULL AND created_at >= $1"
                                 " ORDER BY day, tenant_id", since)
        return [(row[0], row[1]) for row in rows]

    async def get_daily_report(self, tenant_id: str, day: str) -> DailyReport | None:
        row = await self._fetchrow("SELECT * FROM daily_reports WHERE tenant_id = $1 AND day = $2", tenant_id, day)
        return _report(row) if row else None

    async def list_daily_reports(self, tenant_id: str, limit: int) -> list[DailyReport]:
        rows = await self._fetch("SELECT * FROM daily_reports WHERE tenant_id = $1 ORDER BY day DESC LIMIT $2",
                                 tenant_id, limit)
        return [_report(row) for row in rows]

    async def summarize_events(self, tenant_id: str, since: float, until: float) -> EventSummary:
        in_window = "tenant_id = $1 AND updated_at >= $2 AND updated_at < $3"
        counts = await self._fetch(
            f"SELECT kind, status, COUNT(DISTINCT subject) FROM events WHERE {in_window} GROUP BY kind, status"
            " ORDER BY kind, status", tenant_id, since, until)
        failures = await self._fetch(
            "SELECT kind, COALESCE(last_error, ''), COUNT(DISTINCT subject), string_agg(id::text, ',' ORDER BY id DESC)"
            f" FROM events WHERE {in_window} AND status = 'dead'"
            " GROUP BY kind, last_error ORDER BY COUNT(DISTINCT subject) DESC, MAX(id) DESC LIMIT $4",
            tenant_id, since, until, FAILURE_GROUPS)
        healed = await self._fetch(
            "SELECT kind, COUNT(DISTINCT subject), string_agg(id::text, ',' ORDER BY id DESC) FROM events"
            f" WHERE {in_window} AND status = 'done' AND attempts > 1 GROUP BY kind ORDER BY kind",
            tenant_id, since, until)
        return EventSummary(
            counts=[KindCount(kind=k, status=s, count=n) for k, s, n in counts],
            failures=[EventGroup(kind=k, reason=r, count=n, event_ids=_ids(ids)) for k, r, n, ids in failures],
            healed=[EventGroup(kind=k, count=n, event_ids=_ids(ids)) for k, n, ids in healed],
        )

    async def prune_alerts(self, before: float) -> None:
        async def op(conn: Conn) -> None:
            await conn.execute("DELETE FROM alerts WHERE created_at < $1 AND message_id IN"
                               " (SELECT id FROM alert_messages WHERE sent_at IS NOT NULL)", before)
            await conn.execute("DELETE FROM alert_messages WHERE claimed_at < $1"
                               " AND NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.message_id = alert_messages.id)",
                               before)
            await conn.execute("DELETE FROM daily_reports WHERE created_at < $1", before)

        await self._transaction(op)

    # -- failed sign-ins -----------------------------------------------------------------------

    async def record_signin_failure(self, keys: list[str], at: float) -> None:
        async def op(conn: Conn) -> None:
            await conn.execute("INSERT INTO signin_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k",
                               keys, at)
            await conn.execute("DELETE FROM signin_failures WHERE at < $1", at - SIGNIN_FAILURES_KEPT)

        await self._transaction(op)

    async def signin_failures(self, key: str, since: float) -> list[float]:
        rows = await self._fetch("SELECT at FROM signin_failures WHERE key = $1 AND at >= $2 ORDER BY at", key, since)
        return [float(row[0]) for row in rows]

    async def clear_signin_failures(self, key: str) -> None:
        await self._execute("DELETE FROM signin_failures WHERE key = $1", key)
