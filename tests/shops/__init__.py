"""Shop drivers: each platform's shop, started and acted in through one interface
(:class:`tests.shops.base.ShopDriver`), so one end-to-end test runs for every platform."""

from __future__ import annotations

from collections.abc import Callable

from tests.shops.abicart import AbicartDriver
from tests.shops.base import (
    BEFORE_ITEMS,
    CREATED_TWICE,
    DRAFT,
    Buyer,
    PlacedOrder,
    ShopDriver,
    ShopOrder,
    ShopProduct,
)
from tests.shops.legacy_php import LegacyPhpDriver
from tests.shops.woocommerce import WooCommerceDriver

DRIVERS: dict[str, type[ShopDriver]] = {d.platform: d for d in (WooCommerceDriver, AbicartDriver, LegacyPhpDriver)}
PLATFORMS = list(DRIVERS)


def platforms(can: Callable[[type[ShopDriver]], bool] = lambda driver: True) -> list[str]:
    """The platforms whose driver can do what a test needs, for its parametrisation."""
    return [name for name, driver in DRIVERS.items() if can(driver)]


def new_driver(platform: str) -> ShopDriver:
    return DRIVERS[platform]()


__all__ = ["BEFORE_ITEMS", "CREATED_TWICE", "DRAFT", "DRIVERS", "PLATFORMS", "Buyer", "PlacedOrder", "ShopDriver",
           "ShopOrder", "ShopProduct", "new_driver", "platforms"]
