"""A plugin whose hook name is misspelt: it would never be called, so the gateway must not start."""

from __future__ import annotations

from gateway.adapter import hookimpl


@hookimpl
async def fetch_ordr(shop: object, order_id: str) -> None:
    return None
