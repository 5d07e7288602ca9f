"""The fake Abicart shop, driven as its admin and shoppers would: through its JSON-RPC admin API
(in the documented forms) and its ``/_control/`` checkout; changes call the registered event
listeners as Abicart does."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import msgspec

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
VAT = Decimal("0.25")
CHOICE = "Variant"
_encoder = msgspec.json.Encoder(decimal_format="number")


def address_fields(buyer: Buyer) -> dict[str, Any]:
    """A customer as Abicart documents one: the phone numbers in the address."""
    return {"info": {"email": buyer.email},
            "address": {"firstName": buyer.first_name, "lastName": buyer.last_name, "company": buyer.company or None,
                        "address": buyer.street, "postcode": buyer.zip_code, "town": buyer.city,
                        "country": buyer.country, "phoneDay": buyer.phone}}


class AbicartDriver(ShopDriver):
    platform = "abicart"
    tenant_prefix = "abi"
    payment_methods: ClassVar[dict[str, str]] = {"klarna": "klarna_checkout", "invoice": "invoice",
                                                 "cod": "postforskott"}
    duplicate_skus = True  # Abicart does not insist on unique article numbers
    misbehaviours = frozenset({CREATED_TWICE, DRAFT})
    counts_writes = True

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
        body = None if json is None else _encoder.encode(json)
        async with self.http.request(method, self.fake.base + "_control/" + path, data=body,
                                     headers={"Content-Type": "application/json"}) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    def stored(self, ex_vat: str | Decimal) -> Decimal:
        """An ex-VAT price as the shop keeps it (with VAT unless its settings say otherwise)."""
        amount = Decimal(ex_vat)
        if self.fake.state.with_vat:
            amount = (amount * (1 + VAT)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return amount

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
        body: dict[str, Any] = {"articleNumber": sku, "name": {"sv": name or f"Produkt {sku}"},
                                "price": {"regular": {"SEK": self.stored(price)}}, "vatRate": VAT, "weight": 500,
                                "stock": {"stock": None if variants else stock}}
        if variants:  # each variant's option is the end of its number: TROJA-S -> "S"
            options = [v.rsplit("-", 1)[-1] for v in variants]
            body["choices"] = {CHOICE: dict.fromkeys(options)}
            body["variants"] = [{"articleNumber": v, "stock": stock, "options": {CHOICE: o}}
                                for v, o in zip(variants, options, strict=True)]
        return str((await self.control("POST", "articles", body))["uid"])

    async def update_product(self, product_id: str, *, price: str | None = None, name: str | None = None,
                             stock: int | None = None, weight_kg: str | None = None) -> None:
        patch: dict[str, Any] = {}
        if price is not None:
            patch["price"] = {"regular": {"SEK": self.stored(price)}}
        if name is not None:
            patch["name"] = {"sv": name}
        if stock is not None:
            patch["stock"] = {"stock": stock}
        if weight_kg is not None:
            patch["weight"] = int(Decimal(weight_kg) * 1000)  # Abicart keeps grams
        parent, _, variant = product_id.partition(":")
        if variant:  # a variant's own stock is a number; the rest is its parent's
            if stock is not None:
                await self.rpc.call("ArticleVariant.set", int(variant), {"stock": patch.pop("stock")["stock"]})
            if not patch:
                return
        await self.rpc.call("Article.set", int(parent), patch)

    async def delete_product(self, product_id: str) -> None:
        await self.control("DELETE", f"articles/{product_id}")

    async def create_customer(self, buyer: Buyer) -> str:
        return str((await self.control("POST", "customers", address_fields(buyer)))["uid"])

    async def update_customer(self, customer_id: str, *, phone: str) -> None:
        await self.rpc.call("Customer.set", int(customer_id), {"address": {"phoneDay": phone}})

    async def delete_order(self, order_id: str) -> None:
        await self.rpc.call("Order.set", int(order_id), {"discarded": True})  # Abicart's delete

    async def cancel_order(self, order_id: str) -> None:
        await self.delete_order(order_id)  # Abicart's one way to cancel: the order is discarded

    async def disturb_notifications(self, fault: str, count: int) -> None:
        await self.control("POST", "faults", {"listener_calls": fault, "count": count})

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
        order = {"customer": address_fields(buyer), "items": lines, "shipment": shipping_price, "draft": draft,
                 "payments": [{"method": self.payment_methods[payment], "reference": "klarna-ref-1"}]}
        placed = await self.control("POST", "orders", {"order": order, "created_twice": created_twice})
        return PlacedOrder(str(placed["uid"]), str(placed["orderNumber"]))

    # --- Reading back ---------------------------------------------------------------------------

    async def product(self, sku: str) -> ShopProduct | None:
        found = self._find(sku)
        if found is None:
            return None
        article, variant = found
        state = self.fake.state
        stored = Decimal(str(article["price"]["regular"][state.currency]))
        for option in (variant or {}).get("_options", {}).values():
            stored += Decimal(str(article["choiceOptionPrices"].get(str(option), {}).get(state.currency) or 0))
        group = state.groups.get(article["articlegroup"] or 0)
        return ShopProduct(
            id=str(article["uid"]) + (f":{variant['uid']}" if variant else ""), sku=sku,
            name=text(article["name"], "sv"), price=state.stored_ex_vat(stored, article["vatRate"]),
            stock=variant["stock"] if variant else article["stock"].get("stock"), vat=article["vatRate"] * 100,
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
                         specter_order_no=str(o["externalOrderNumber"] or ""), tracking=str(o.get("note") or ""))

    async def categories(self) -> list[str]:
        return sorted(text(g["name"], "sv") for g in self.fake.state.groups.values())

    async def writes(self) -> list[str]:
        return list(self.fake.state.writes)
