"""The running gateway as the web routes reach it, typed (Starlette's app state is untyped)."""

from __future__ import annotations

from starlette.requests import Request

from gateway.services import Gateway
from gateway.tenants import TenantService


def gateway_of(request: Request) -> Gateway:
    """The gateway the application's lifespan started (see gateway/web/app.py)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


def tenant_service(request: Request) -> TenantService:
    """Tenants and accounts, checked against the installed platforms."""
    gw = gateway_of(request)
    return TenantService(gw.store, gw.adapters)
