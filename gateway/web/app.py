"""The Starlette application: inbound routes, the admin API and console, health checks and metrics."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from gateway.alerts.loop import alerts_forever
from gateway.config import GatewayConfig
from gateway.engine.poller import poll_forever
from gateway.services import Gateway
from gateway.web import admin_api, alerts_api, health, inbound, openapi, rules_api
from gateway.web.console import accounts as console_accounts
from gateway.web.console import alerts_pages as console_alerts
from gateway.web.console import finding
from gateway.web.console import routes as console
from gateway.web.console import rules_pages as console_rules
from gateway.web.metrics_server import MetricsServer
from gateway.web.responses import error


async def home(request: Request) -> Response:
    """The gateway's address leads to its console (which asks for a sign-in first)."""
    return RedirectResponse("/admin/", status_code=307)


def create_app(config: GatewayConfig | None = None, *, runner: str = "auto") -> Starlette:
    config = config or GatewayConfig.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gateway = await Gateway.create(config, runner=runner)
        app.state.gateway = gateway
        app.state.admin_token = config.resolved_admin_token()
        app.state.metrics_token = config.resolved_metrics_token()
        metrics_server = MetricsServer(gateway.store, config.metrics_address) if config.metrics_address else None
        try:
            if metrics_server is not None:
                await metrics_server.start()
            if config.poll_seconds > 0:
                gateway.spawn(poll_forever(gateway, config.poll_seconds), "specter-poller")
            if config.alert_seconds > 0:
                gateway.spawn(alerts_forever(gateway, config.alert_seconds), "alerts")
            yield
        finally:
            if metrics_server is not None:
                await metrics_server.stop()
            await gateway.close()

    routes = [
        Route("/", home),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/shops/{tenant_id}/events", inbound.shop_events, methods=["POST"]),
        Route("/shops/{tenant_id}/get_specter_articles", inbound.product_import_pull, methods=["GET", "POST"]),
        Route("/specter/{token}", inbound.specter_callback, methods=["GET", "POST"]),
        Route("/specter/{token}/{flow}", inbound.specter_callback, methods=["GET", "POST"]),
        Route("/metrics", health.metrics),
        Route("/admin/api/openapi.json", openapi.openapi_json),
        Mount("/admin/api", routes=[*admin_api.routes, *alerts_api.routes, *rules_api.routes]),
        Mount("/admin", routes=[*finding.routes, *console_alerts.routes, *console_rules.routes,
                                 *console_accounts.routes, *console.routes]),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={404: _not_routed, 405: _not_routed})


async def _not_routed(request: Request, exc: Exception) -> Response:
    """No route for the path (or not for its method): the admin API says so in JSON, as its
    other errors; anything else in plain text."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/admin/api/"):
        message = "no such API path" if exc.status_code == 404 else f"{request.method} is not allowed here"
        return error(exc.status_code, f"{message}: see /admin/api/openapi.json", headers=exc.headers)
    return PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)
