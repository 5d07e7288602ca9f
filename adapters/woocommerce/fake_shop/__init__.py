"""A fake WooCommerce 9.2.5 shop (aiohttp.web) that behaves like the captured real one.

- :mod:`.state` what it holds; :mod:`.resources` products, customers and orders as the REST
  API shows them; :mod:`.shop` the changes and the webhooks each fires; :mod:`.webhooks` their
  deliveries, signed as WooCommerce signs them;
- :mod:`.auth` OAuth 1.0a over plain HTTP, Basic auth or query keys behind an HTTPS proxy;
- :mod:`.handlers` the REST API, :mod:`.control` the control API for tests and demos,
  :mod:`.api` what both share; :mod:`.wire` PHP's JSON and WooCommerce's error bodies;
- :mod:`.app` the application: :func:`.app.start_fake_woocommerce` in-process, or
  ``specter-gateway simulate woocommerce`` (this module's :data:`simulator`).

This module stays small: the adapter names :data:`simulator` and :func:`demo_shop` in its
platform, so the gateway loads the fake shop itself only when it is run.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.adapter import DemoShop


class WooCommerceSimulator:
    """``specter-gateway simulate woocommerce``: the fake shop, with its REST credentials."""

    default_port = 8890

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--consumer-key", default="ck_fake")
        parser.add_argument("--consumer-secret", default="cs_fake")
        parser.add_argument("--webhook-secret", default="fake-webhook-secret",
                            help="signs deliveries of webhooks created without a secret")

    def run(self, host: str, port: int, options: argparse.Namespace) -> None:
        from .app import run

        run(host, port, options.consumer_key, options.consumer_secret, options.webhook_secret)


simulator = WooCommerceSimulator()


def demo_shop() -> DemoShop:
    """The fake shop as ``specter-gateway demo`` runs it (loaded only then)."""
    from .demo import WooCommerceDemoShop

    return WooCommerceDemoShop()
