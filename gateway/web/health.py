"""Liveness, readiness and metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.metrics import QUEUE_DEPTH, WAITING
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


async def metrics(request: Request) -> Response:
    """``GET /metrics`` in Prometheus' text format."""
    counts = await gateway_of(request).store.count_events()
    for status in WAITING:
        QUEUE_DEPTH.labels(status).set(counts.get(status, 0))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
