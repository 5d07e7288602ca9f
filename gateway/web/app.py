"""The Starlette application: inbound routes, the admin API and console, health checks and metrics."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from gateway.config import GatewayConfig
from gateway.engine.poller import poll_forever
from gateway.services import Gateway
from gateway.web import admin_api, health, inbound, openapi
from gateway.web.console import finding
from gateway.web.console import routes as console


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
        if config.poll_seconds > 0:
            gateway.spawn(poll_forever(gateway, config.poll_seconds), "specter-poller")
        try:
            yield
        finally:
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
        Mount("/admin/api", routes=admin_api.routes),
        Mount("/admin", routes=[*finding.routes, *console.routes]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
