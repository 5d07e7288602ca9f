"""The memo platform again, under another name, with ``fetch_order`` written as a plain function
where the contract declares ``async def``: it would fail only on a tenant's first order."""

from __future__ import annotations

from gateway.adapter import Platform, hookimpl
from gateway.model import Order
from tests.plugins.memo_platform import *  # noqa: F403 - every other operation as the memo platform has it


@hookimpl
def shop_platform() -> Platform:
    return Platform(name="memo-plain")


@hookimpl
def fetch_order(shop: object, order_id: str) -> Order | None:
    return None
