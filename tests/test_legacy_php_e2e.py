"""The legacy PHP shop end to end: the real PHP scripts under ``php -S`` on a SQLite shop
database, the gateway under uvicorn and the Specter simulator, all on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.legacy_php.client import LegacyPhpClient, LegacyPhpError
from adapters.legacy_php.signing import sign, signed_headers
from gateway.model import ArticleGroup, StockLevel
from tests.gateway_process import free_port
from tests.shops.legacy_php import PHP_DIR, SECRET, ensure_php
from tests.stack import running_stack


class PhpShop:
    def __init__(self, stack, db: Path, env: dict[str, str], url: str):
        self.stack, self.db, self.env, self.url = stack, db, env, url

    def sql(self, statement: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(statement, args).fetchall()

    def insert(self, table: str, **row) -> int:
        with sqlite3.connect(self.db) as conn:
            cur = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                               tuple(row.values()))
            return cur.lastrowid

    async def php(self, script: str, *args: str) -> tuple[int, str]:
        """Run one of the shop's scripts with PHP's CLI, as the shop's code or cron would."""
        proc = await asyncio.create_subprocess_exec("php", str(PHP_DIR / script), *args, env=self.env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        return proc.returncode, out.decode()

    async def hook(self, name: str, **kwargs):
        gw = self.stack.gw
        tenant = await gw.tenant(self.stack.tenant_id)
        return await getattr(await gw.shop(tenant), name)(**kwargs)


@asynccontextmanager
async def php_shop(tmp_path):
    ensure_php()
    db = tmp_path / "shop.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript((PHP_DIR / "schema.sql").read_text())
    port = free_port()
    url = f"http://127.0.0.1:{port}/gateway.php"
    async with running_stack(tmp_path, shops=0) as stack:
        await stack.add_tenant("shop1", "legacy_php", {"url": url, "shared_secret": SECRET}, connect=False)
        env = {**os.environ, "SPECTER_GATEWAY_URL": stack.gateway.url, "SPECTER_TENANT_ID": stack.tenant_id,
               "SPECTER_SHARED_SECRET": SECRET, "SPECTER_INBOUND_TOKEN": await stack.inbound_token(),
               "SPECTER_DSN": f"sqlite:{db}", "PHP_CLI_SERVER_WORKERS": "4"}
        log = (tmp_path / "php-server.log").open("wb")  # noqa: ASYNC230 - once, before the server starts
        server = await asyncio.create_subprocess_exec("php", "-S", f"127.0.0.1:{port}", "-t", str(PHP_DIR), env=env,
                                                      stdout=log, stderr=log, start_new_session=True)
        try:
            for _ in range(200):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")  # pings gateway.php
            assert status == 200, body
            yield PhpShop(stack, db, env, url)
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # php -S and the workers it forked
            await server.wait()
            log.close()


def add_order(shop: PhpShop, product_id: int, customer_id: int | None, qty: int = 2) -> int:
    order_id = shop.insert("orders", number="10001", status="processing", customer_id=customer_id,
                           email="asa@example.se", first_name="Åsa", last_name="Öberg", address="Storgatan 1",
                           zip="11122", city="Stockholm", shipping_method="postnord", shipping_name="PostNord",
                           shipping_price="49.00", payment_method="invoice", payment_title="Faktura",
                           created_at="2024-05-01T10:00:00+00:00")
    shop.insert("order_rows", order_id=order_id, product_id=product_id, sku="TS-1", name="T-shirt", quantity=qty,
                price="100.00", vat=25)
    return order_id


async def test_a_product_customer_and_order_made_in_the_php_shop_reach_specter(tmp_path):
    async with php_shop(tmp_path) as shop:
        stack = shop.stack
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7, weight="0.3")
        customer = shop.insert("customers", email="asa@example.se", first_name="Åsa", last_name="Öberg",
                               address="Storgatan 1", zip="11122", city="Stockholm")
        assert await shop.php("specter_event.php", "product.created", str(product)) == (0, "")
        assert (await shop.php("specter_event.php", "customer.created", str(customer)))[0] == 0
        await stack.settle()
        article = stack.sim.articles["TS-1"]
        assert (article.name, article.price_ex_vat, sum(article.in_stock.values())) == ("T-shirt", Decimal("100.00"), 7)
        [buyer] = stack.sim.customers.values()
        assert (buyer.name, buyer.email) == ("Åsa Öberg", "asa@example.se")

        order = add_order(shop, product, customer)
        assert (await shop.php("specter_event.php", "order.created", str(order)))[0] == 0
        events = await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.fields["externalOrderNo"] == "10001" and sent.customer_id == buyer.customer_id
        assert [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows] == [
            ("TS-1", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        assert shop.sql("SELECT specter_order_no FROM orders WHERE id = ?", order) == [(sent.order_no,)]
        assert not [e for e in events if e.status == "dead"], [(e.kind, e.last_error) for e in events]


async def test_stock_and_products_from_specter_are_written_to_the_shop_database(tmp_path):
    async with php_shop(tmp_path) as shop:
        shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7)
        results = await shop.hook("update_stock", levels=[StockLevel(article_no="TS-1", available=3),
                                                          StockLevel(article_no="NOPE", available=1)])
        assert [(r.key, r.ok) for r in results] == [("TS-1", True), ("NOPE", False)]
        assert "NOPE" in results[1].error
        assert shop.sql("SELECT stock FROM products WHERE sku = 'TS-1'") == [(3,)]

        group = ArticleGroup(code="10", name="Tröjor", parent_code="Kläder")
        category = await shop.hook("upsert_category", group=group, active=False)
        assert await shop.hook("upsert_category", group=group, active=False) == category
        assert shop.sql(
            "SELECT c.name, c.active, p.name FROM categories c JOIN categories p ON p.id = c.parent_id"
        ) == [("Tröjor", 0, "Kläder")]
        from gateway.model import Article

        new = Article(article_no="NY-1", name="Ny tröja", price_ex_vat=Decimal("79.20"), vat_percent=Decimal(25))
        await shop.hook(
            "upsert_product", article=new, category_id=category, fields=frozenset(Article.__struct_fields__)
        )
        await shop.hook(
            "upsert_product",
            article=Article(article_no="TS-1", name="x", price_ex_vat=Decimal("90.50")),
            category_id=None,
            fields=frozenset({"price_ex_vat"}),
        )
        rows = shop.sql("SELECT sku, name, price, category_id FROM products ORDER BY sku")
        assert rows == [("NY-1", "Ny tröja", 79.2, int(category)), ("TS-1", "T-shirt", 90.5, None)]


async def test_refused_signatures_old_timestamps_and_replays(tmp_path):
    async with php_shop(tmp_path) as shop:
        stack = shop.stack
        body = json.dumps({"version": 1, "event": "product.created", "id": "1"}).encode()

        async def post(headers: dict[str, str]) -> tuple[int, str]:
            async with stack.http.post(
                stack.events_url, data=body, headers={"Content-Type": "application/json", **headers}
            ) as resp:
                return resp.status, await resp.text()

        assert (await post(signed_headers("not-the-secret", body)))[0] == 401
        stale = str(int(time.time()) - 301)
        status, text = await post({"X-Specter-Timestamp": stale, "X-Specter-Signature": sign(SECRET, stale, body)})
        assert status == 401 and "300" in text
        assert (await post({}))[0] == 401
        assert await stack.events() == []
        good = signed_headers(SECRET, body)
        assert (await post(good))[0] == 200
        status, text = await post(good)
        assert status == 401 and "replay" in text
        assert len(await stack.events()) == 1

        # The shop refuses the gateway's calls signed with another secret, and says why.
        wrong = LegacyPhpClient(shop.url, "not-the-secret", stack.http)
        with pytest.raises(LegacyPhpError, match="unauthorized.*shared secret"):
            await wrong.call("get_product", {"id": "1"})


async def test_the_shop_asks_for_the_bulk_export_and_the_product_import(tmp_path):
    async with php_shop(tmp_path) as shop:
        shop.insert("products", sku="EXP-1", name="Kopp", price="50.00", vat=25, stock=3)
        shop.insert("products", sku="EXP 2", name="Fat", price="80.00", vat=25, stock=1)  # a space: refused
        shop.insert("customers", email="kund@example.se", first_name="Karin", last_name="Ek")
        code, out = await shop.php("export_products.php", "all")
        assert code == 0 and "started" in out
        events = await shop.stack.settle()
        exports = {e.kind: e for e in events if e.kind.startswith("export.")}
        assert set(exports) == {"export.products", "export.customers"}
        assert all(e.status == "done" for e in exports.values()), [(e.kind, e.last_error) for e in exports.values()]
        assert "EXP-1" in shop.stack.sim.articles and "EXP 2" not in shop.stack.sim.articles
        assert [r["reason"] for r in exports["export.products"].result["refused"]] == [
            "article number 'EXP 2' has characters Specter cannot take (space)"
        ]
        assert [c.email for c in shop.stack.sim.customers.values()] == ["kund@example.se"]
        await shop.stack.set_settings(import_products=True)
        code, out = await shop.php("get_specter_articles.php")
        assert "Product import started" in out
        assert [e.kind for e in await shop.stack.events() if e.kind == "import.products"] == ["import.products"]
