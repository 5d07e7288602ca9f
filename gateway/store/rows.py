"""What the SQL stores share: the columns they read, and their rows turned into the store's Structs.

Both schemas name their columns alike (see the migrations), so a row of either database, as a
mapping of column names, becomes the same :class:`Event` or :class:`Binding` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, get_args

import msgspec

from gateway.store.base import Binding, Event, EventStatus, NewEvent

encode = msgspec.json.Encoder().encode
decode = msgspec.json.decode

ALL_STATUSES: tuple[str, ...] = get_args(EventStatus)
EVENT_COLUMNS = (
    "id, kind, tenant_id, account_id, subject, idempotency_key, payload, status, attempts, revision,"
    " next_attempt_at, last_error, result, created_at, updated_at"
)
BINDING_FIELDS: tuple[str, ...] = Binding.__struct_fields__
BATCH_COLUMNS = "account_id, flow, batch_no, state, created_at, updated_at"

# An event as inserted: kind, tenant_id, account_id, scope, subject, idempotency_key, payload (JSON),
# next_attempt_at, created_at, updated_at.
EventRow = tuple[str, str | None, str | None, str, str, str | None, str, float, float, float]


class Row(Protocol):
    """A row of either database (sqlite3.Row, asyncpg.Record): its values by column name."""

    def keys(self) -> Iterable[str]: ...
    def __getitem__(self, key: str, /) -> Any: ...


def scope(tenant_id: str | None, account_id: str | None) -> str:
    """The namespace of idempotency keys and subjects; prefixed, as tenant and account ids may
    coincide."""
    if tenant_id is not None:
        return f"t:{tenant_id}"
    return f"a:{account_id}" if account_id is not None else ""


def event_row(event: NewEvent, now: float) -> EventRow:
    return (event.kind, event.tenant_id, event.account_id, scope(event.tenant_id, event.account_id), event.subject,
            event.idempotency_key, encode(event.payload).decode(), event.not_before or now, now, now)


def event_from(row: Row) -> Event:
    data = {key: row[key] for key in row.keys()}
    data["payload"] = decode(data["payload"])
    data["result"] = decode(data["result"]) if data["result"] else None
    return Event(**data)


def binding_from(row: Row) -> Binding:
    return msgspec.convert({key: row[key] for key in row.keys()}, Binding)


def history_entry(at: float, row: Row) -> dict[str, Any]:
    """What "transfer again" keeps of an event's last outcome."""
    return {"at": at, "status": row["status"], "attempts": row["attempts"], "error": row["last_error"],
            "result": decode(row["result"]) if row["result"] else None}
