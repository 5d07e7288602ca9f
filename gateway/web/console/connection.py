"""The tenant's "register callbacks and webhooks" button, and the connection test's buttons.

The test itself is :mod:`gateway.connection_check` (the command line runs the same): Specter's
keys and callbacks, the service articles, the shop's credentials, its webhooks and tax classes.
"""

from __future__ import annotations

import time
from typing import Any

from gateway.connect import connect_tenant
from gateway.connection_check import ConnectionReport, check_connection, create_service_articles
from gateway.services import Gateway
from gateway.settings import Tenant


def _problem(exc: BaseException) -> str:
    # Adapter and Specter errors are written to be shown (no keys, no signatures).
    return str(exc) or exc.__class__.__name__


async def test(gw: Gateway, tenant: Tenant) -> ConnectionReport:
    return await check_connection(gw, tenant)


async def create_missing_articles(gw: Gateway, tenant: Tenant) -> tuple[ConnectionReport, str | None]:
    """"Create the missing service articles", then the test again; with why creating failed."""
    try:
        await create_service_articles(gw, tenant)
        error = None
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        error = _problem(exc)
    return await check_connection(gw, tenant), error


async def register(gw: Gateway, tenant: Tenant) -> dict[str, Any]:
    """Run connect_tenant and keep its answer (or its error) for the tenant page."""
    try:
        answer = await connect_tenant(gw, tenant)
        result = {"ok": True, "at": time.time(), **answer}
    except Exception as exc:  # noqa: BLE001 - kept and shown to the operator
        result = {"ok": False, "at": time.time(), "error": _problem(exc)}
    await gw.store.put_connect_result(tenant.id, result)
    return result
