"""A plugin whose hook names a parameter the hook does not have."""

from __future__ import annotations

from gateway.adapter import hookimpl


@hookimpl
async def fetch_order(shop: object, order_number: str) -> None:
    return None
