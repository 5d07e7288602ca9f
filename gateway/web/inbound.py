"""Inbound routes: shop events, Specter's callbacks and the product-import pull.

Each one records what it received as events and answers at once; jobs do the work. Nothing is
stored for a request that is refused.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from gateway import operations
from gateway.adapter import InboundRequest
from gateway.engine.intake import as_new_event
from gateway.errors import RejectedRequest
from gateway.events import CALLBACKS
from gateway.import_token import opens_import
from gateway.model import shop_id_problem
from gateway.web.responses import error, from_exception
from gateway.web.state import gateway_of

# The ``calltype`` numbers of Specter's single-URL style, by trigger name.
CALLTYPES = {"1": "stock", "2": "invoice", "3": "remove-order", "4": "order", "5": "article"}


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is larger than ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RejectedRequest(413, f"body of {declared} bytes is larger than the limit of {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RejectedRequest(413, f"body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def shop_events(request: Request) -> Response:
    """A shop's webhook or event call for one tenant: verified by the tenant's adapter."""
    gw = gateway_of(request)
    tenant_id = request.path_params["tenant_id"]
    try:
        body = await read_body(request, gw.config.max_body_bytes)
        tenant = await gw.cached_tenant(tenant_id)
        if tenant is None:
            return error(404, f"unknown tenant {tenant_id!r}")
        if not tenant.enabled:
            return error(403, f"tenant {tenant_id!r} is disabled")
        inbound = InboundRequest(
            method=request.method,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query_params),
            body=body,
            received_at=time.time(),
        )
        events = (await gw.shop(tenant)).decode_shop_request(inbound)
    except Exception as exc:  # noqa: BLE001 - from_exception re-raises what is not the caller's fault
        return from_exception(exc)
    for event in events:  # refused here, not stored and retried in vain
        problem = shop_id_problem(event.object_id, f"{event.object} id")
        if problem:
            return error(422, f"refused: {problem}")
    recorded = await gw.submit([as_new_event(tenant, e, "webhook") for e in events])
    new = sum(1 for _, created in recorded if created)
    return JSONResponse({"stored": new, "duplicates": len(recorded) - new})


async def specter_callback(request: Request) -> Response:
    """Specter's trigger: only a hint to poll now. Recorded and answered ``1;Done`` at once."""
    gw = gateway_of(request)
    account = await gw.store.account_by_callback_token(request.path_params["token"])
    if account is None:
        return PlainTextResponse("0;404;unknown callback URL", status_code=404)
    flow = request.path_params.get("flow") or CALLTYPES.get(request.query_params.get("calltype", ""), "")
    callback = CALLBACKS.get(flow)
    if callback is None:
        return PlainTextResponse(f"0;400;unknown callback flow {flow!r}", status_code=400)
    # Repeated calls while a pull waits add nothing; a removal or an invoice names its order, so
    # each of those counts (the kind's ``coalesce``).
    await gw.submit([callback(account_id=account.id, query=dict(request.query_params)).to_new_event()])
    return PlainTextResponse("1;Done")


async def product_import_pull(request: Request) -> Response:
    """``get_specter_articles``: start the product import for one tenant. Authorised by the
    tenant's import token (``?token=``, see gateway/import_token.py), as the legacy script URL
    was reachable by the shop."""
    gw = gateway_of(request)
    tenant_id = request.path_params["tenant_id"]
    tenant = await gw.store.get_tenant(tenant_id)
    if tenant is None:
        return error(404, f"unknown tenant {tenant_id!r}")
    if not await opens_import(gw.store, tenant, request.query_params.get("token", "")):
        return error(401, "missing or wrong token (a new one may have been made in the console)")
    try:
        event_id = await operations.import_products(gw, tenant)
    except Exception as exc:  # noqa: BLE001 - from_exception re-raises what is not the caller's fault
        return from_exception(exc)  # the import is off: 409 with the reason
    return JSONResponse({"event_id": event_id}, status_code=202)
