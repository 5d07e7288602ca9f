"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.metrics import QUEUE_DEPTH, WAITING
from gateway.store.base import Store
from gateway.web.state import gateway_of


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database and, when configured, Redis answer; says which database it is
    (sqlite or postgresql), never where."""
    gw = gateway_of(request)
    checks: dict[str, str] = {}
    for name, ping in (("database", gw.store.ping), ("queue", gw.runner.ping)):
        try:
            await ping()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks[name] = f"failing: {exc.__class__.__name__}: {exc}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks,
                         "database": gw.store.dialect}, status_code=200 if ready else 503)


async def metrics_text(store: Store) -> bytes:
    """Every metric in Prometheus' text format, the queue's depth read now."""
    counts = await store.count_events()
    for status in WAITING:
        QUEUE_DEPTH.labels(status).set(counts.get(status, 0))
    return generate_latest()


async def metrics(request: Request) -> Response:
    """``GET /metrics`` in Prometheus' text format, behind the metrics token (its labels name
    every tenant); not here at all when a separate metrics address is set
    (gateway/web/metrics_server.py)."""
    gw = gateway_of(request)
    if gw.config.metrics_address:
        return JSONResponse({"error": f"metrics are served on {gw.config.metrics_address} only"}, status_code=404)
    expected: str = request.app.state.metrics_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return JSONResponse({"error": "missing or wrong metrics token (send 'Authorization: Bearer TOKEN'; "
                                      "SPECTER_GATEWAY_METRICS_TOKEN, or data/metrics.token)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return Response(await metrics_text(gw.store), media_type=CONTENT_TYPE_LATEST)
