"""A shop platform that implements only some of the required operations."""

from __future__ import annotations

from gateway.adapter import Platform, hookimpl
from gateway.model import Order
from gateway.settings import Tenant


@hookimpl
def shop_platform() -> Platform:
    return Platform(name="half")


@hookimpl
def open_shop(tenant: Tenant, http: object) -> str:
    return tenant.id


@hookimpl
async def fetch_order(shop: str, order_id: str) -> Order | None:
    return None
