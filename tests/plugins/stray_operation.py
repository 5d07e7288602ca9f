"""A plugin that answers a shop operation without naming a platform: it would answer for every
platform's tenants, so the gateway must not start."""

from __future__ import annotations

from gateway.adapter import hookimpl
from gateway.model import Order


@hookimpl
async def fetch_order(shop: object, order_id: str) -> Order | None:
    return None
