"""The fake WooCommerce as ``specter-gateway demo`` runs it: its admin enters the demo's
products, its shoppers check out through its control API, and it fires webhooks as it does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from gateway.adapter import DemoBuyer, DemoProduct

from .app import RunningFakeShop, start_fake_woocommerce

KEY, SECRET, WEBHOOK_SECRET = "ck_demo", "cs_demo", "demo-webhook-secret-0123456789"


class WooCommerceDemoShop:
    fake: RunningFakeShop
    http: aiohttp.ClientSession

    async def start(self, workdir: Path) -> dict[str, Any]:
        self.fake = await start_fake_woocommerce(consumer_key=KEY, consumer_secret=SECRET,
                                                 webhook_secret=WEBHOOK_SECRET)
        self.http = aiohttp.ClientSession()
        return {"url": self.fake.url, "consumer_key": KEY, "consumer_secret": SECRET,
                "webhook_secret": WEBHOOK_SECRET}

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:
        return None  # "connect" registers its webhooks

    async def _control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.fake.url + "_control/" + path, json=body) as r:
            answer: dict[str, Any] = await r.json(content_type=None)
            if r.status >= 400:
                raise RuntimeError(f"the fake WooCommerce refused {path}: {answer}")
            return answer

    async def add_products(self, products: list[DemoProduct]) -> None:
        for p in products:
            await self._control("products", {"name": p.name, "sku": p.article_no, "regular_price": str(p.price_ex_vat),
                                             "manage_stock": True, "stock_quantity": p.stock, "weight": "0.5"})

    async def place_order(self, items: list[tuple[str, int]], buyer: DemoBuyer) -> str:
        lines = []
        for sku, quantity in items:
            product = self.fake.state.by_sku(sku)
            if product is None:
                raise RuntimeError(f"the fake WooCommerce has no product {sku}")
            lines.append({"product_id": product["id"], "quantity": quantity})
        address = {"first_name": buyer.first_name, "last_name": buyer.last_name, "address_1": buyer.street,
                   "postcode": buyer.zip_code, "city": buyer.city, "country": buyer.country}
        order = {"status": "processing", "set_paid": True, "payment_method": "klarna_payments",
                 "payment_method_title": "Klarna", "transaction_id": f"klarna-{buyer.email}",
                 "billing": address | {"email": buyer.email, "phone": buyer.phone}, "shipping": address,
                 "line_items": lines,
                 "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": "49.00"}]}
        placed = await self._control("orders", {"order": order})
        return str(placed["number"])

    async def stop(self) -> None:
        await self.http.close()
        await self.fake.stop()
