"""The tenant's connection check and its "register callbacks and webhooks" button.

What is checked, honestly:

* The shop: the first page (one product) of the adapter's ``iter_products``: the same
  authenticated read the bulk export makes, so it proves the URL and the API keys.
* Specter: Specter has no read that is free of side effects (every read opens a batch that the
  gateway's own poller must then acknowledge), and ``checkAccountSettings``, the one call that
  proves the keys, *writes* the trigger URLs. So the check only reports what the last
  "register" answered; pressing "register" is the Specter test, and it writes exactly the URLs
  the gateway needs anyway.
* Webhooks and callbacks: what the last "register" answered, kept by the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from gateway.connect import connect_tenant
from gateway.services import Gateway
from gateway.settings import Tenant

SHOP_TIMEOUT_SECONDS = 15.0


def _problem(exc: BaseException) -> str:
    # Adapter and Specter errors are written to be shown (no keys, no signatures).
    return str(exc) or exc.__class__.__name__


async def check_shop(gw: Gateway, tenant: Tenant) -> dict[str, Any]:
    try:
        pages = (await gw.shop(tenant)).iter_products(page_size=1)
        try:
            async with asyncio.timeout(SHOP_TIMEOUT_SECONDS):
                await anext(pages, [])
        finally:
            with contextlib.suppress(Exception):
                await pages.aclose()
    except TimeoutError:
        return {"ok": False, "message": f"the shop did not answer within {SHOP_TIMEOUT_SECONDS:.0f} s"}
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return {"ok": False, "message": _problem(exc)}
    return {"ok": True, "message": "the shop answered an authenticated product read"}


async def register(gw: Gateway, tenant: Tenant) -> dict[str, Any]:
    """Run connect_tenant and keep its answer (or its error) for the tenant page."""
    try:
        answer = await connect_tenant(gw, tenant)
        result = {"ok": True, "at": time.time(), **answer}
    except Exception as exc:  # noqa: BLE001 - kept and shown to the operator
        result = {"ok": False, "at": time.time(), "error": _problem(exc)}
    await gw.store.put_connect_result(tenant.id, result)
    return result
