"""The fake Abicart shop, driven through its JSON-RPC admin API and its ``/_control/`` checkout;
changes fire the registered event listeners as Abicart does."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

from adapters.abicart.client import AbicartClient
from adapters.abicart.decode import state as order_state
from adapters.abicart.decode import text
from adapters.abicart.fake_shop.app import RunningFakeAbicart, start_fake_abicart
from tests.shops.base import (
    CREATED_TWICE,
    DRAFT,
    SHOPPER,
    Buyer,
    PlacedOrder,
    ShopDriver,
    ShopOrder,
    ShopProduct,
)

WEBSHOP = 4711
TOKEN = "abicart-token-e2e"


def customer_fields(buyer: Buyer) -> dict[str, Any]:
    return {"info": {"email": buyer.email, "phoneDay": buyer.phone},
            "address": {"firstName": buyer.first_name, "lastName": buyer.last_name, "companyName": buyer.company,
                        "street": buyer.street, "zipcode": buyer.zip_code, "city": buyer.city,
                        "country": buyer.country}}


class AbicartDriver(ShopDriver):
    platform = "abicart"
    tenant_prefix = "abi"
    payment_methods: ClassVar[dict[str, str]] = {"klarna": "klarna_checkout", "invoice": "invoice",
                                                 "cod": "postforskott"}
    duplicate_skus = True  # Abicart does not insist on unique article numbers
    misbehaviours = frozenset({CREATED_TWICE, DRAFT})

    fake: RunningFakeAbicart

    async def start(self, tmp_path: Path, http: aiohttp.ClientSession) -> None:
        self.fake = await start_fake_abicart(webshop=WEBSHOP, auth_token=TOKEN)
        self.http = http
        self.rpc = AbicartClient(self.fake.url, WEBSHOP, TOKEN, http)

    def connection(self) -> dict[str, Any]:
        return {"webshop": WEBSHOP, "auth_token": TOKEN, "url": self.fake.url}

    async def stop(self) -> None:
        await self.fake.stop()

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        async with self.http.request(method, self.fake.base + "_control/" + path, json=json) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    def _find(self, sku: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """(article, variant or None) with this article number."""
        state = self.fake.state
        for variant in state.variants.values():
            if variant["articleNumber"] == sku:
                return state.articles[variant["article"]], variant
        article = next((a for a in state.articles.values() if a["articleNumber"] == sku), None)
        return None if article is None else (article, None)

    # --- The admin ----------------------------------------------------------------------------

    async def create_product(self, sku: str, price: str = "100.00", stock: int = 10, name: str | None = None,
                             variants: list[str] | None = None) -> str:
        body: dict[str, Any] = {"articleNumber": sku, "name": {"sv": name or f"Produkt {sku}"}, "price": price,
                                "weight": 500, "stock": None if variants else stock}
        if variants:  # each variant's choice is the end of its number: TROJA-S -> "S"
            body["variants"] = [{"articleNumber": v, "choices": [v.rsplit("-", 1)[-1]], "stock": stock}
                                for v in variants]
        return str((await self.control("POST", "articles", body))["uid"])

    async def update_product(self, product_id: str, *, price: str | None = None, name: str | None = None,
                             stock: int | None = None) -> None:
        patch: dict[str, Any] = {}
        if price is not None:
            patch["price"] = {"exVat": price}
        if name is not None:
            patch["name"] = {"sv": name}
        if stock is not None:
            patch["stock"] = stock
        await self.rpc.call("Article.set", int(product_id), patch)

    async def delete_product(self, product_id: str) -> None:
        await self.control("DELETE", f"articles/{product_id}")

    async def create_customer(self, buyer: Buyer) -> str:
        return str((await self.control("POST", "customers", customer_fields(buyer)))["uid"])

    async def update_customer(self, customer_id: str, *, phone: str) -> None:
        await self.rpc.call("Customer.set", int(customer_id), {"info": {"phoneDay": phone}})

    async def delete_order(self, order_id: str) -> None:
        await self.rpc.call("Order.set", int(order_id), {"discarded": True})  # Abicart's delete

    async def break_shop(self) -> None:
        await self.control("POST", "faults", {"status": 500, "count": 10_000})

    async def mend_shop(self) -> None:
        await self.control("POST", "faults", {"status": 500, "count": 0})

    # --- A shopper ----------------------------------------------------------------------------

    async def place_order(self, items: list[tuple[str, int]], *, buyer: Buyer = SHOPPER, payment: str = "klarna",
                          shipping_price: str = "49.00", draft: bool = False, created_twice: bool = False,
                          before_items: bool = False) -> PlacedOrder:
        assert not before_items, "the fake Abicart cannot announce an order before its items"
        lines = []
        for sku, qty in items:
            found = self._find(sku)
            assert found is not None, f"no article {sku} in the shop"
            article, variant = found
            line = {"article": article["uid"], "quantity": qty}
            lines.append(line | ({"variant": variant["uid"]} if variant else {}))
        order = {"customer": customer_fields(buyer), "items": lines, "shipment": shipping_price, "draft": draft,
                 "payments": [{"method": self.payment_methods[payment], "title": {"sv": payment.title()},
                               "reference": "klarna-ref-1"}]}
        placed = await self.control("POST", "orders", {"order": order, "created_twice": created_twice})
        return PlacedOrder(str(placed["uid"]), str(placed["orderNumber"]))

    # --- Reading back ---------------------------------------------------------------------------

    async def product(self, sku: str) -> ShopProduct | None:
        found = self._find(sku)
        if found is None:
            return None
        article, variant = found
        target = variant or article
        price = (variant or {}).get("price") or article["price"]
        group = self.fake.state.groups.get(article["articlegroup"] or 0)
        return ShopProduct(
            id=str(target["uid"]), sku=sku, name=text(article["name"], "sv"), price=Decimal(price["exVat"]),
            stock=target["stock"], vat=Decimal(price["vatRate"]) * 100,
            weight_kg=Decimal(article["weight"]) / 1000 if article["weight"] is not None else None,
            description=text(article["description"], "sv"),
            categories=[text(group["name"], "sv")] if group else [], published=not article["draft"])

    async def skus(self) -> list[str]:
        state = self.fake.state
        return sorted([a["articleNumber"] for a in state.articles.values()]
                      + [v["articleNumber"] for v in state.variants.values()])

    async def order(self, order_id: str) -> ShopOrder:
        o = self.fake.state.orders[int(order_id)]
        return ShopOrder(id=str(o["uid"]), number=str(o["orderNumber"]), status=order_state(o),
                         specter_order_no=str(o["externalOrderNumber"] or ""),
                         tracking=str(o.get("note") or ""))  # the admin note names them

    async def categories(self) -> list[str]:
        return sorted(text(g["name"], "sv") for g in self.fake.state.groups.values())
