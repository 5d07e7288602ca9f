"""The fake Abicart as ``specter-gateway demo`` runs it: its admin enters the demo's articles
(in the documented forms), its shoppers check out through its control API, and it calls the
event listeners "connect" registered, as Abicart does."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from gateway.adapter import DemoBuyer, DemoProduct

from .app import RunningFakeAbicart, start_fake_abicart

WEBSHOP, TOKEN = 4711, "abicart-demo-token-0123456789"
_encoder = msgspec.json.Encoder(decimal_format="number")


class AbicartDemoShop:
    fake: RunningFakeAbicart
    http: aiohttp.ClientSession

    async def start(self, workdir: Path) -> dict[str, Any]:
        self.fake = await start_fake_abicart(webshop=WEBSHOP, auth_token=TOKEN)
        self.http = aiohttp.ClientSession()
        return {"webshop": WEBSHOP, "auth_token": TOKEN, "url": self.fake.url}

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:
        return None  # "connect" registers its event listeners

    async def _control(self, path: str, body: Any) -> dict[str, Any]:
        async with self.http.post(self.fake.base + "_control/" + path, data=_encoder.encode(body),
                                  headers={"Content-Type": "application/json"}) as r:
            answer: dict[str, Any] = await r.json(content_type=None)
            if r.status >= 400:
                raise RuntimeError(f"the fake Abicart refused {path}: {answer}")
            return answer

    async def add_products(self, products: list[DemoProduct]) -> None:
        for p in products:
            rate = p.vat_percent / 100
            price = p.price_ex_vat
            if self.fake.state.with_vat:  # the shop keeps prices as its settings say
                price = (price * (1 + rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            await self._control("articles", {"articleNumber": p.article_no, "name": {"sv": p.name},
                                             "price": {"regular": {"SEK": price}}, "vatRate": rate, "weight": 500,
                                             "stock": {"stock": p.stock}})

    async def place_order(self, items: list[tuple[str, int]], buyer: DemoBuyer) -> str:
        lines = []
        for sku, quantity in items:
            article = next((a for a in self.fake.state.articles.values() if a["articleNumber"] == sku), None)
            if article is None:
                raise RuntimeError(f"the fake Abicart has no article {sku}")
            lines.append({"article": article["uid"], "quantity": quantity})
        customer = {"info": {"email": buyer.email},
                    "address": {"firstName": buyer.first_name, "lastName": buyer.last_name, "address": buyer.street,
                                "postcode": buyer.zip_code, "town": buyer.city, "country": buyer.country,
                                "phoneDay": buyer.phone}}
        order = {"customer": customer, "items": lines, "shipment": "49.00",
                 "payments": [{"method": "klarna_checkout", "reference": f"klarna-{buyer.email}"}]}
        placed = await self._control("orders", {"order": order})
        return str(placed["orderNumber"])

    async def stop(self) -> None:
        await self.http.close()
        await self.fake.stop()
