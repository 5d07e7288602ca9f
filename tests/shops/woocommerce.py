"""The fake WooCommerce shop, driven through its REST API (as the shop's admin) and its
``/_control/`` checkout (as a shopper); webhooks fire as WooCommerce fires them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

from adapters.woocommerce.client import WooCommerceClient
from adapters.woocommerce.fake_shop.app import RunningFakeShop, start_fake_woocommerce
from tests.shops.base import (
    BEFORE_ITEMS,
    CREATED_TWICE,
    DRAFT,
    SHOPPER,
    Buyer,
    PlacedOrder,
    ShopDriver,
    ShopOrder,
    ShopProduct,
)

# The fake shop's tax classes, as a Swedish WooCommerce is set up.
TAX_RATES = {"": Decimal(25), "standard": Decimal(25), "reduced-rate": Decimal(12), "zero-rate": Decimal(0)}
STATUSES = {"checkout-draft": "draft", "on-hold": "processing", "pending": "pending"}


def product_fields(sku: str, price: str = "100.00", stock: int = 10, **fields: Any) -> dict[str, Any]:
    return {"name": f"Produkt {sku}", "sku": sku, "regular_price": price, "manage_stock": True,
            "stock_quantity": stock, "weight": "0.5", **fields}


def order_payload(items: list[tuple[int, int]], **fields: Any) -> dict[str, Any]:
    """A paid REST order shipped with PostNord: ``items`` as (product or variation id, quantity)."""
    return {
        "status": "processing",
        "payment_method": "klarna_payments",
        "payment_method_title": "Klarna",
        "transaction_id": "klarna-ref-1",
        "set_paid": True,
        "billing": {"first_name": "Åsa", "last_name": "Öberg", "address_1": "Storgatan 1", "city": "Stockholm",
                    "postcode": "11122", "country": "SE", "email": "asa@example.se", "phone": "0701234567"},
        "shipping": {"first_name": "Åsa", "last_name": "Öberg", "address_1": "Storgatan 1", "city": "Stockholm",
                     "postcode": "11122", "country": "SE"},
        "line_items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": "49.00"}],
        **fields,
    }


def woocommerce(driver: ShopDriver) -> WooCommerceDriver:
    """The driver as the WooCommerce one, for tests that use the fake shop's own API."""
    assert isinstance(driver, WooCommerceDriver), f"a WooCommerce shop is needed, not {driver.platform}"
    return driver


def address(buyer: Buyer, with_email: bool) -> dict[str, str]:
    fields = {"first_name": buyer.first_name, "last_name": buyer.last_name, "company": buyer.company,
              "address_1": buyer.street, "city": buyer.city, "postcode": buyer.zip_code, "country": buyer.country,
              "phone": buyer.phone}
    return fields | ({"email": buyer.email} if with_email else {})


class WooCommerceDriver(ShopDriver):
    platform = "woocommerce"
    tenant_prefix = "woo"
    payment_methods: ClassVar[dict[str, str]] = {"klarna": "klarna_payments", "invoice": "invoice", "cod": "cod"}
    misbehaviours = frozenset({CREATED_TWICE, BEFORE_ITEMS, DRAFT})
    counts_writes = True

    fake: RunningFakeShop

    async def start(self, tmp_path: Path, http: aiohttp.ClientSession) -> None:
        self.fake = await start_fake_woocommerce()
        self.http = http
        self.rest = WooCommerceClient(self.fake.url, "ck_fake", "cs_fake", http)

    def connection(self) -> dict[str, Any]:
        return {"url": self.fake.url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake",
                "webhook_secret": "fake-webhook-secret"}

    async def stop(self) -> None:
        await self.fake.stop()

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        async with self.http.request(method, self.fake.url + "_control/" + path, json=json) as r:
            assert r.status < 400, await r.text()
            return await r.json(content_type=None)

    async def checkout(self, order: dict[str, Any], **misbehaviour: bool) -> Any:
        """A shopper checks out a REST order (see :func:`order_payload`); webhooks fire as
        WooCommerce fires them, oddly when asked (``created_twice``, ``created_before_items``)."""
        return await self.control("POST", "orders", {"order": order, **misbehaviour})

    # --- The admin ----------------------------------------------------------------------------

    async def create_product(self, sku: str, price: str = "100.00", stock: int = 10, name: str | None = None,
                             variants: list[str] | None = None) -> str:
        if variants:
            body = {"name": name or f"Produkt {sku}", "sku": sku,
                    "variations": [product_fields(v, price, stock) for v in variants]}
        else:
            body = product_fields(sku, price, stock) | ({"name": name} if name is not None else {})
        return str((await self.control("POST", "products", body))["id"])

    async def update_product(self, product_id: str, *, price: str | None = None, name: str | None = None,
                             stock: int | None = None, weight_kg: str | None = None) -> None:
        body = {k: v for k, v in (("regular_price", price), ("name", name), ("stock_quantity", stock),
                                  ("weight", weight_kg)) if v is not None}
        parent = self.fake.state.products[int(product_id)]["parent_id"]
        path = f"products/{parent}/variations/{product_id}" if parent else f"products/{product_id}"
        await self.rest.request("PUT", path, body=body)

    async def delete_product(self, product_id: str) -> None:
        await self.rest.request("DELETE", f"products/{product_id}")

    async def create_customer(self, buyer: Buyer) -> str:
        created = await self.control("POST", "customers", {
            "email": buyer.email, "first_name": buyer.first_name, "last_name": buyer.last_name,
            "billing": address(buyer, with_email=True)})
        return str(created["id"])

    async def update_customer(self, customer_id: str, *, phone: str) -> None:
        await self.rest.request("PUT", f"customers/{customer_id}", body={"billing": {"phone": phone}})

    async def delete_order(self, order_id: str) -> None:
        await self.rest.request("DELETE", f"orders/{order_id}")

    async def cancel_order(self, order_id: str) -> None:
        await self.rest.request("PUT", f"orders/{order_id}", body={"status": "cancelled"})

    async def disturb_notifications(self, fault: str, count: int) -> None:
        await self.control("POST", "faults", {"kind": f"{fault}_delivery", "count": count})

    async def break_shop(self) -> None:
        await self.control("POST", "faults", {"kind": "error500", "count": 10_000})

    async def mend_shop(self) -> None:
        await self.control("POST", "faults", {"kind": "error500", "count": 0})

    # --- A shopper ----------------------------------------------------------------------------

    async def place_order(self, items: list[tuple[str, int]], *, buyer: Buyer = SHOPPER, payment: str = "klarna",
                          shipping_price: str = "49.00", draft: bool = False, created_twice: bool = False,
                          before_items: bool = False) -> PlacedOrder:
        lines = []
        for sku, qty in items:
            p = self.fake.state.by_sku(sku)
            assert p is not None, f"no product {sku} in the shop"
            ids = {"product_id": p["parent_id"], "variation_id": p["id"]} if p["parent_id"] else {"product_id": p["id"]}
            lines.append(ids | {"quantity": qty})
        order = {
            "status": "checkout-draft" if draft else "processing", "set_paid": not draft,
            "payment_method": self.payment_methods[payment], "payment_method_title": payment.title(),
            "transaction_id": "klarna-ref-1", "billing": address(buyer, with_email=True),
            "shipping": address(buyer, with_email=False), "line_items": lines,
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": shipping_price}],
        }
        placed = await self.control("POST", "orders", {"order": order, "created_twice": created_twice,
                                                       "created_before_items": before_items})
        return PlacedOrder(str(placed["id"]), str(placed["number"]))

    # --- Reading back ---------------------------------------------------------------------------

    async def product(self, sku: str) -> ShopProduct | None:
        p = self.fake.state.by_sku(sku)
        if p is None:
            return None
        return ShopProduct(
            id=str(p["id"]), sku=p["sku"], name=p["name"], price=Decimal(p["regular_price"] or "0"),
            stock=p["stock_quantity"], vat=TAX_RATES.get(p["tax_class"]),
            weight_kg=Decimal(p["weight"]) if p["weight"] else None, description=p["description"],
            categories=[self.fake.state.categories[c["id"]]["name"] for c in p["categories"]],
            published=p["status"] == "publish")

    async def skus(self) -> list[str]:
        return sorted(p["sku"] for p in self.fake.state.products.values())

    async def order(self, order_id: str) -> ShopOrder:
        o = self.fake.state.orders[int(order_id)]
        meta = {m["key"]: m["value"] for m in o["meta_data"]}
        tracking = meta.get("_specter_tracking_numbers") or ""
        return ShopOrder(id=str(o["id"]), number=str(o["number"]), status=STATUSES.get(o["status"], o["status"]),
                         specter_order_no=str(meta.get("_specter_order_no") or ""),
                         tracking=", ".join(tracking) if isinstance(tracking, list) else str(tracking))

    async def categories(self) -> list[str]:
        return sorted(c["name"] for c in self.fake.state.categories.values())

    async def writes(self) -> list[str]:
        return [f"{method} {path}" for method, path in self.fake.state.writes]
