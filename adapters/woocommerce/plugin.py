"""WooCommerce (REST API wc/v3) as a shop platform."""

from __future__ import annotations

import msgspec

from gateway.adapter import Platform, hookimpl

PLATFORM = "woocommerce"


class WooCommerceConnection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: str  # the site, e.g. https://shop.example.se/
    consumer_key: str
    consumer_secret: str
    webhook_secret: str = ""
    query_string_auth: bool = False  # for hosts that strip the Authorization header


@hookimpl
def shop_platform() -> Platform:
    return Platform(
        name=PLATFORM,
        title="WooCommerce",
        connection=WooCommerceConnection,
        secret_fields=("consumer_secret", "webhook_secret"),
        topics=("order.created", "order.updated", "order.deleted", "product.created", "product.updated",
                "product.deleted", "customer.created", "customer.updated"),
    )
