"""The fake shop as an aiohttp application, started in-process or run from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.simulators.serving import serve

from . import control
from .api import SHOP, STATE, WEBHOOKS, rest_errors, shop_host
from .handlers import (
    batch_products,
    batch_variations,
    create_category,
    create_customer,
    create_order,
    create_order_note,
    create_product,
    create_tax_rate,
    create_variation,
    create_webhook,
    delete_order,
    delete_product,
    delete_webhook,
    get_customer,
    get_order,
    get_product,
    get_variation,
    get_webhook,
    list_categories,
    list_customers,
    list_order_notes,
    list_orders,
    list_products,
    list_tax_classes,
    list_tax_rates,
    list_variations,
    list_webhooks,
    update_category,
    update_customer,
    update_order,
    update_product,
    update_variation,
    update_webhook,
)
from .shop import Shop
from .state import FakeState
from .webhooks import Webhooks

API = "/wp-json/wc/v3"


def build_app(consumer_key: str = "ck_fake", consumer_secret: str = "cs_fake",
              webhook_secret: str = "fake-webhook-secret", state: FakeState | None = None) -> web.Application:
    state = state or FakeState(consumer_key, consumer_secret, webhook_secret)
    webhooks = Webhooks(state)
    app = web.Application(middlewares=[shop_host, rest_errors])
    app[STATE], app[SHOP], app[WEBHOOKS] = state, Shop(state), webhooks
    r = app.router
    r.add_get(f"{API}/products", list_products)
    r.add_post(f"{API}/products", create_product)
    r.add_post(f"{API}/products/batch", batch_products)
    r.add_get(f"{API}/products/categories", list_categories)
    r.add_post(f"{API}/products/categories", create_category)
    r.add_put(f"{API}/products/categories/{{id:\\d+}}", update_category)
    r.add_get(f"{API}/products/{{id:\\d+}}", get_product)
    r.add_put(f"{API}/products/{{id:\\d+}}", update_product)
    r.add_delete(f"{API}/products/{{id:\\d+}}", delete_product)
    r.add_get(f"{API}/products/{{id:\\d+}}/variations", list_variations)
    r.add_post(f"{API}/products/{{id:\\d+}}/variations", create_variation)
    r.add_post(f"{API}/products/{{id:\\d+}}/variations/batch", batch_variations)
    r.add_get(f"{API}/products/{{id:\\d+}}/variations/{{vid:\\d+}}", get_variation)
    r.add_put(f"{API}/products/{{id:\\d+}}/variations/{{vid:\\d+}}", update_variation)
    r.add_get(f"{API}/customers", list_customers)
    r.add_post(f"{API}/customers", create_customer)
    r.add_get(f"{API}/customers/{{id:\\d+}}", get_customer)
    r.add_put(f"{API}/customers/{{id:\\d+}}", update_customer)
    r.add_get(f"{API}/orders", list_orders)
    r.add_post(f"{API}/orders", create_order)
    r.add_get(f"{API}/orders/{{id:\\d+}}", get_order)
    r.add_put(f"{API}/orders/{{id:\\d+}}", update_order)
    r.add_delete(f"{API}/orders/{{id:\\d+}}", delete_order)
    r.add_get(f"{API}/orders/{{id:\\d+}}/notes", list_order_notes)
    r.add_post(f"{API}/orders/{{id:\\d+}}/notes", create_order_note)
    r.add_get(f"{API}/taxes", list_tax_rates)
    r.add_post(f"{API}/taxes", create_tax_rate)
    r.add_get(f"{API}/taxes/classes", list_tax_classes)
    r.add_get(f"{API}/webhooks", list_webhooks)
    r.add_post(f"{API}/webhooks", create_webhook)
    r.add_get(f"{API}/webhooks/{{id:\\d+}}", get_webhook)
    r.add_put(f"{API}/webhooks/{{id:\\d+}}", update_webhook)
    r.add_delete(f"{API}/webhooks/{{id:\\d+}}", delete_webhook)
    control.add_routes(app)

    async def close_webhooks(_: web.Application) -> None:
        await webhooks.close()

    app.on_cleanup.append(close_webhooks)
    return app


@dataclass
class RunningFakeShop:
    url: str  # the site, ending with "/"
    state: FakeState
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_fake_woocommerce(host: str = "127.0.0.1", port: int = 0, consumer_key: str = "ck_fake",
                                 consumer_secret: str = "cs_fake",
                                 webhook_secret: str = "fake-webhook-secret") -> RunningFakeShop:
    app = build_app(consumer_key, consumer_secret, webhook_secret)
    runner, url = await serve(app, host, port)
    state = app[STATE]
    state.site = url
    return RunningFakeShop(url, state, runner)


def run(host: str = "127.0.0.1", port: int = 8890, consumer_key: str = "ck_fake", consumer_secret: str = "cs_fake",
        webhook_secret: str = "fake-webhook-secret") -> None:
    """Serve the fake shop until interrupted (``specter-gateway simulate woocommerce``)."""
    print(f"Fake WooCommerce on http://{host}:{port}/ (consumer key {consumer_key})")
    web.run_app(build_app(consumer_key, consumer_secret, webhook_secret), host=host, port=port, print=None)
