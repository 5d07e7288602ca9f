"""A legacy PHP shop as ``specter-gateway demo`` runs it: the real scripts in ``php/`` under
``php -S`` (see :mod:`.php_server`) on a SQLite shop database. A shopper's order is written to
the shop's tables and announced with ``php specter_event.php order.created ID``, as the shop's
own checkout calls ``specter_event()``. Needs PHP's command line with pdo_sqlite."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import sqlite3
from pathlib import Path
from typing import IO, Any

from gateway.adapter import DemoBuyer, DemoProduct

from .php_server import PHP_DIR, make_shop_database, php_ready, serve_php, stop_php_server


class LegacyPhpDemoShop:
    server: asyncio.subprocess.Process
    port: int
    db: Path
    log: IO[bytes]

    async def start(self, workdir: Path) -> dict[str, Any]:
        if not php_ready():
            raise RuntimeError("PHP's command line with pdo_sqlite is not installed (apt-get install php-cli "
                               "php-sqlite3)")
        workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at the demo's start
        self.db = workdir / "shop.sqlite"
        make_shop_database(self.db)
        secret = secrets.token_urlsafe(24)
        self.env = {**os.environ, "SPECTER_SHARED_SECRET": secret, "SPECTER_DSN": f"sqlite:{self.db}",
                    "PHP_CLI_SERVER_WORKERS": "2"}
        self.log = open(workdir / "php-server.log", "ab")  # noqa: SIM115, ASYNC230 - closed in stop()
        self.server, self.port = await serve_php(PHP_DIR, self.env, self.log)
        return {"url": f"http://127.0.0.1:{self.port}/gateway.php", "shared_secret": secret, "contract_version": 2}

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:
        # specter_event.php, run from the command line, reads these (config.php).
        self.env |= {"SPECTER_GATEWAY_URL": gateway_url, "SPECTER_TENANT_ID": tenant_id,
                     "SPECTER_INBOUND_TOKEN": inbound_token}

    def _insert(self, conn: sqlite3.Connection, table: str, **row: Any) -> int:
        cur = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                           tuple(row.values()))
        return int(cur.lastrowid or 0)

    async def add_products(self, products: list[DemoProduct]) -> None:
        with sqlite3.connect(self.db) as conn:
            for p in products:
                self._insert(conn, "products", sku=p.article_no, name=p.name, price=str(p.price_ex_vat),
                             vat=int(p.vat_percent), stock=p.stock, weight="0.5")

    async def place_order(self, items: list[tuple[str, int]], buyer: DemoBuyer) -> str:
        with sqlite3.connect(self.db) as conn:
            (count,), = conn.execute("SELECT COUNT(*) FROM orders").fetchall()
            number = str(10001 + count)
            order_id = self._insert(
                conn, "orders", number=number, status="processing", email=buyer.email, first_name=buyer.first_name,
                last_name=buyer.last_name, address=buyer.street, zip=buyer.zip_code, city=buyer.city,
                country=buyer.country, phone=buyer.phone, shipping_method="postnord", shipping_name="PostNord",
                shipping_price="49.00", payment_method="klarna_payments", payment_title="Klarna",
                payment_reference=f"klarna-{buyer.email}", created_at=dt.datetime.now(dt.UTC).isoformat())
            for sku, quantity in items:
                found = conn.execute("SELECT id, name, price, vat FROM products WHERE sku = ?", (sku,)).fetchone()
                if found is None:
                    raise RuntimeError(f"the PHP shop has no product {sku}")
                product_id, name, price, vat = found
                self._insert(conn, "order_rows", order_id=order_id, product_id=product_id, sku=sku, name=name,
                             quantity=quantity, price=price, vat=vat)
                conn.execute("UPDATE products SET stock = stock - ? WHERE id = ? AND stock IS NOT NULL",
                             (quantity, product_id))
        proc = await asyncio.create_subprocess_exec(
            "php", str(PHP_DIR / "specter_event.php"), "order.created", str(order_id), env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"specter_event.php order.created {order_id} failed: {out.decode(errors='replace')}")
        return number

    async def stop(self) -> None:
        await stop_php_server(self.server, self.port)
        self.log.close()
