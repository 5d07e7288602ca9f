"""The legacy PHP shop: the real scripts in adapters/legacy_php/php (contract v2) under ``php -S``
(adapters/legacy_php/php_server.py), on a SQLite shop database made from their schema.sql and
specter.sql. The admin and shoppers write the shop's tables and then call ``php
specter_event.php EVENT ID``, as the shop's own code calls specter_event()."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, ClassVar

import aiohttp

from adapters.legacy_php.php_server import (
    PHP_DIR,
    make_shop_database,
    php_ready,
    serve_php,
    start_php_server,
    stop_php_server,
)
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

ROOT = Path(__file__).resolve().parents[2]
SECRET = "php-shared-secret-0123456789"


def ensure_php() -> None:
    """Install php-cli and pdo_sqlite when missing (scripts/ensure-services knows how)."""
    if not php_ready():
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-services")], check=True)
    assert php_ready(), "php with pdo_sqlite is needed (scripts/ensure-services installs it)"


class LegacyPhpDriver(ShopDriver):
    platform = "legacy_php"
    tenant_prefix = "php"
    payment_methods: ClassVar[dict[str, str]] = {"klarna": "klarna_payments", "invoice": "invoice", "cod": "cod"}
    misbehaviours = frozenset({CREATED_TWICE, BEFORE_ITEMS, DRAFT})

    async def start(self, tmp_path: Path, http: aiohttp.ClientSession) -> None:
        ensure_php()
        self.dir = Path(tempfile.mkdtemp(prefix="php-shop-", dir=tmp_path))
        self.db = self.dir / "shop.sqlite"
        make_shop_database(self.db)
        self.env = {**os.environ, "SPECTER_SHARED_SECRET": SECRET, "SPECTER_DSN": f"sqlite:{self.db}",
                    "PHP_CLI_SERVER_WORKERS": "4"}
        self.log: IO[bytes] = open(self.dir / "php-server.log", "ab")  # noqa: SIM115, ASYNC230 - closed in stop()
        self.server: asyncio.subprocess.Process | None
        self.server, self.port = await serve_php(PHP_DIR, self.env, self.log)

    def connection(self) -> dict[str, Any]:
        return {"url": f"http://127.0.0.1:{self.port}/gateway.php", "shared_secret": SECRET, "contract_version": 2}

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:
        # The scripts run from the command line read these (config.php); php -S needs none of them.
        self.env |= {"SPECTER_GATEWAY_URL": gateway_url, "SPECTER_TENANT_ID": tenant_id,
                     "SPECTER_INBOUND_TOKEN": inbound_token}

    async def stop(self) -> None:
        await self.break_shop()
        self.log.close()

    async def break_shop(self) -> None:
        """The shop's web server is down: nobody answers."""
        if self.server is not None:
            await stop_php_server(self.server, self.port)
            self.server = None

    async def mend_shop(self) -> None:
        self.server = await start_php_server(PHP_DIR, self.port, self.env, self.log)
        assert self.server is not None, f"port {self.port} was taken while the shop was down"

    # --- The shop's database and its event calls ------------------------------------------------

    def sql(self, statement: str, *args: Any) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(statement, args).fetchall()

    def insert(self, table: str, **row: Any) -> str:
        with sqlite3.connect(self.db) as conn:
            cur = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                               tuple(row.values()))
            return str(cur.lastrowid)

    def update(self, table: str, row_id: str, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.sql(f"UPDATE {table} SET {sets} WHERE id = ?", *values.values(), row_id)

    async def php(self, script: str, *args: str) -> tuple[int, str]:
        """Run one of the shop's scripts with PHP's CLI, as the shop's code or cron would."""
        proc = await asyncio.create_subprocess_exec("php", str(PHP_DIR / script), *args, env=self.env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    async def event(self, name: str, object_id: str) -> None:
        code, out = await self.php("specter_event.php", name, object_id)
        assert code == 0, f"specter_event.php {name} {object_id} failed: {out}"

    # --- The admin ----------------------------------------------------------------------------

    async def create_product(self, sku: str, price: str = "100.00", stock: int = 10, name: str | None = None,
                             variants: list[str] | None = None) -> str:
        name = name or f"Produkt {sku}"
        product_id = self.insert("products", sku=sku, name=name, price=price, vat=25,
                                 stock=None if variants else stock, weight="0.5")
        for variant in variants or []:  # each a row of its own: TROJA-S is "Tröja S"
            self.insert("products", sku=variant, name=f"{name} {variant.rsplit('-', 1)[-1]}", price=price, vat=25,
                        stock=stock, weight="0.5", parent_id=product_id)
        await self.event("product.created", product_id)
        return product_id

    async def update_product(self, product_id: str, *, price: str | None = None, name: str | None = None,
                             stock: int | None = None, weight_kg: str | None = None) -> None:
        self.update("products", product_id, **{k: v for k, v in (("price", price), ("name", name), ("stock", stock),
                                                                 ("weight", weight_kg)) if v is not None})
        await self.event("product.updated", product_id)

    async def delete_product(self, product_id: str) -> None:
        self.sql("DELETE FROM products WHERE id = ? OR parent_id = ?", product_id, product_id)
        await self.event("product.deleted", product_id)

    async def create_customer(self, buyer: Buyer) -> str:
        customer_id = self.insert("customers", email=buyer.email, first_name=buyer.first_name,
                                  last_name=buyer.last_name, company=buyer.company, phone=buyer.phone,
                                  address=buyer.street, zip=buyer.zip_code, city=buyer.city, country=buyer.country)
        await self.event("customer.created", customer_id)
        return customer_id

    async def update_customer(self, customer_id: str, *, phone: str) -> None:
        self.update("customers", customer_id, phone=phone)
        await self.event("customer.updated", customer_id)

    async def delete_order(self, order_id: str) -> None:
        self.sql("DELETE FROM order_rows WHERE order_id = ?", order_id)
        self.sql("DELETE FROM orders WHERE id = ?", order_id)
        await self.event("order.deleted", order_id)

    # --- A shopper ----------------------------------------------------------------------------

    async def place_order(self, items: list[tuple[str, int]], *, buyer: Buyer = SHOPPER, payment: str = "klarna",
                          shipping_price: str = "49.00", draft: bool = False, created_twice: bool = False,
                          before_items: bool = False) -> PlacedOrder:
        products = []
        for sku, qty in items:
            found = self.sql("SELECT id, name, price, vat FROM products WHERE sku = ?", sku)
            assert found, f"no product {sku} in the shop"
            products.append((sku, qty, *found[0]))
        (count,), = self.sql("SELECT COUNT(*) FROM orders")
        number = str(10001 + count)
        order_id = self.insert(
            "orders", number=number, status="draft" if draft else "processing", email=buyer.email,
            first_name=buyer.first_name, last_name=buyer.last_name, company=buyer.company, address=buyer.street,
            zip=buyer.zip_code, city=buyer.city, country=buyer.country, phone=buyer.phone,
            shipping_method="postnord", shipping_name="PostNord", shipping_price=shipping_price,
            payment_method=self.payment_methods[payment], payment_title=payment.title(),
            payment_reference="klarna-ref-1", created_at="2024-05-01T10:00:00+00:00")
        if before_items:  # the shop's code announces the order, then writes its rows
            await self.event("order.created", order_id)
        for sku, qty, product_id, name, price, vat in products:
            self.insert("order_rows", order_id=order_id, product_id=product_id, sku=sku, name=name, quantity=qty,
                        price=price, vat=vat)
            if not draft:  # the shop reserves what was sold (and tells nobody)
                self.sql("UPDATE products SET stock = stock - ? WHERE id = ? AND stock IS NOT NULL", qty, product_id)
        if not before_items:
            await self.event("order.created", order_id)
        if created_twice:
            await self.event("order.created", order_id)
        return PlacedOrder(order_id, number)

    # --- Reading back ---------------------------------------------------------------------------

    async def product(self, sku: str) -> ShopProduct | None:
        rows = self.sql("SELECT p.id, p.name, p.price, p.stock, p.vat, p.weight, p.description, c.name "
                        "FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE p.sku = ?", sku)
        if not rows:
            return None
        pid, name, price, stock, vat, weight, description, category = rows[0]
        return ShopProduct(id=str(pid), sku=sku, name=name, price=Decimal(str(price)), stock=stock,
                           vat=Decimal(str(vat)), weight_kg=None if weight is None else Decimal(str(weight)),
                           description=description or "", categories=[category] if category else [])

    async def skus(self) -> list[str]:
        return sorted(sku for (sku,) in self.sql("SELECT sku FROM products"))

    async def order(self, order_id: str) -> ShopOrder:
        [(number, status, specter_order_no, tracking)] = self.sql(
            "SELECT number, status, specter_order_no, tracking_numbers FROM orders WHERE id = ?", order_id)
        return ShopOrder(id=order_id, number=number, status=status, specter_order_no=specter_order_no or "",
                         tracking=tracking or "")

    async def categories(self) -> list[str]:
        return sorted(name for (name,) in self.sql("SELECT name FROM categories"))
