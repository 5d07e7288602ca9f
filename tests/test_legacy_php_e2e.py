"""The legacy PHP shop end to end: the real PHP scripts under ``php -S`` on a SQLite shop
database, the gateway under uvicorn and the Specter simulator, all on loopback.

The scripts are this project's contract v2 (adapters/legacy_php/php) and, for "v1 keeps working",
the contract v1 scripts as shops installed them (tests/fixtures/legacy_php_v1) with a tenant
stored as v1 tenants are: no contract_version in its shop settings."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest

from adapters.legacy_php.client import LegacyPhpClient, LegacyPhpError
from adapters.legacy_php.signing import sign, signed_headers
from gateway.model import Article, ArticleGroup, StockLevel
from gateway.web.console.connection import register as console_register
from tests.console_client import Console, add_user, console_session
from tests.shops.legacy_php import (
    PHP_DIR,
    SECRET,
    ensure_php,
    make_shop_database,
    serve_php,
    start_php_server,
    stop_php_server,
)
from tests.stack import Stack, running_stack

V1_SCRIPTS = Path(__file__).parent / "fixtures" / "legacy_php_v1"
VERSIONS = [pytest.param(V1_SCRIPTS, 1, id="v1"), pytest.param(PHP_DIR, 2, id="v2")]


class PhpShop:
    """The shop: its database, its scripts under ``php -S`` and from the command line."""

    def __init__(self, db: Path, scripts: Path, env: dict[str, str], log: IO[bytes]):
        self.db, self.scripts, self.env, self.log = db, scripts, env, log
        self.stack: Stack
        self.server: asyncio.subprocess.Process | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/gateway.php"

    async def start_server(self) -> None:
        """On a free port the first time, then on the same one (a restart)."""
        if not self.port:
            self.server, self.port = await serve_php(self.scripts, self.env, self.log)
        else:
            self.server = await start_php_server(self.scripts, self.port, self.env, self.log)
            assert self.server is not None, f"port {self.port} was taken while the shop was down"

    async def stop_server(self) -> None:
        if self.server is not None:
            await stop_php_server(self.server, self.port)
            self.server = None

    def sql(self, statement: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(statement, args).fetchall()

    def insert(self, table: str, **row) -> int:
        with sqlite3.connect(self.db) as conn:
            cur = conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                               tuple(row.values()))
            return cur.lastrowid

    async def php(self, script: str, *args: str, **env: str) -> tuple[int, str]:
        """Run one of the shop's scripts with PHP's CLI, as the shop's code or cron would."""
        proc = await asyncio.create_subprocess_exec("php", str(self.scripts / script), *args, env=self.env | env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        return proc.returncode, out.decode()

    async def event(self, name: str, object_id: int | str) -> None:
        code, out = await self.php("specter_event.php", name, str(object_id))
        assert code == 0, f"specter_event.php {name} {object_id} failed: {out}"

    async def hook(self, name: str, **kwargs):
        gw = self.stack.gw
        tenant = await gw.tenant(self.stack.tenant_id)
        return await getattr(await gw.shop(tenant), name)(**kwargs)


@asynccontextmanager
async def php_shop(tmp_path: Path, scripts: Path = PHP_DIR, contract_version: int = 2, *, connect: bool = True,
                   **settings: Any) -> AsyncIterator[PhpShop]:
    """A PHP shop running ``scripts`` and its tenant; a v1 tenant is stored as v1 tenants were,
    without contract_version."""
    ensure_php()
    db = tmp_path / "shop.sqlite"
    make_shop_database(db, scripts)
    # The web server needs only these; the scripts run from the command line learn the gateway.
    env = {**os.environ, "SPECTER_SHARED_SECRET": SECRET, "SPECTER_DSN": f"sqlite:{db}", "PHP_CLI_SERVER_WORKERS": "4"}
    with (tmp_path / "php-server.log").open("ab") as log:
        shop = PhpShop(db, scripts, env, log)
        await shop.start_server()
        try:
            connection = {"url": shop.url, "shared_secret": SECRET}
            if contract_version != 1:
                connection["contract_version"] = contract_version
            async with running_stack(tmp_path, shops=0) as stack:
                shop.stack = stack
                await stack.add_tenant("shop1", "legacy_php", connection, connect=False, **settings)
                env |= {"SPECTER_GATEWAY_URL": stack.gateway.url, "SPECTER_TENANT_ID": stack.tenant_id,
                        "SPECTER_INBOUND_TOKEN": await stack.inbound_token()}
                if connect:
                    status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/connect")  # pings gateway.php
                    assert status == 200, body
                yield shop
        finally:
            await shop.stop_server()


def add_order(shop: PhpShop, product_id: int, customer_id: int | None, qty: int = 2, sku: str = "TS-1",
              **columns: Any) -> int:
    order_id = shop.insert("orders", **{
        "number": "10001", "status": "processing", "customer_id": customer_id, "email": "asa@example.se",
        "first_name": "Åsa", "last_name": "Öberg", "address": "Storgatan 1", "zip": "11122", "city": "Stockholm",
        "shipping_method": "postnord", "shipping_name": "PostNord", "shipping_price": "49.00",
        "payment_method": "invoice", "payment_title": "Faktura", "created_at": "2024-05-01T10:00:00+00:00",
        **columns})
    shop.insert("order_rows", order_id=order_id, product_id=product_id, sku=sku, name="T-shirt", quantity=qty,
                price="100.00", vat=25)
    return order_id


def dead(events) -> list[tuple[str, str | None]]:
    return [(e.kind, e.last_error) for e in events if e.status == "dead"]


# -- both contract versions ----------------------------------------------------------------------


@pytest.mark.parametrize(("scripts", "version"), VERSIONS)
async def test_a_product_customer_and_order_made_in_the_php_shop_reach_specter(tmp_path, scripts, version):
    async with php_shop(tmp_path, scripts, version) as shop:
        stack = shop.stack
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7, weight="0.3")
        customer = shop.insert("customers", email="asa@example.se", first_name="Åsa", last_name="Öberg",
                               address="Storgatan 1", zip="11122", city="Stockholm")
        assert await shop.php("specter_event.php", "product.created", str(product)) == (0, "")
        await shop.event("customer.created", customer)
        await stack.settle()
        article = stack.sim.articles["TS-1"]
        assert (article.name, article.price_ex_vat, sum(article.in_stock.values())) == ("T-shirt", Decimal("100.00"), 7)
        [buyer] = stack.sim.customers.values()
        assert (buyer.name, buyer.email) == ("Åsa Öberg", "asa@example.se")

        order = add_order(shop, product, customer)
        await shop.event("order.created", order)
        events = await stack.settle()
        [sent] = stack.sim.orders.values()
        assert sent.fields["externalOrderNo"] == "10001" and sent.customer_id == buyer.customer_id
        assert [(r.article_no, r.quantity, r.price_ex_vat) for r in sent.rows] == [
            ("TS-1", Decimal(2), Decimal("100.00")), ("FRAKT", Decimal(1), Decimal("49.00"))]
        assert shop.sql("SELECT specter_order_no FROM orders WHERE id = ?", order) == [(sent.order_no,)]
        assert not dead(events)


@pytest.mark.parametrize(("scripts", "version"), VERSIONS)
async def test_stock_and_products_from_specter_are_written_to_the_shop_database(tmp_path, scripts, version):
    async with php_shop(tmp_path, scripts, version) as shop:
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
        new = Article(article_no="NY-1", name="Ny tröja", price_ex_vat=Decimal("79.20"), vat_percent=Decimal(25))
        await shop.hook("upsert_product", article=new, category_id=category,
                        fields=frozenset(Article.__struct_fields__))
        await shop.hook("upsert_product", article=Article(article_no="TS-1", name="x", price_ex_vat=Decimal("90.50")),
                        category_id=None, fields=frozenset({"price_ex_vat"}))
        rows = shop.sql("SELECT sku, name, price, category_id FROM products ORDER BY sku")
        assert rows == [("NY-1", "Ny tröja", 79.2, int(category)), ("TS-1", "T-shirt", 90.5, None)]


# -- contract v2: what it adds -------------------------------------------------------------------


async def test_a_product_sold_as_variants_reaches_specter_as_its_variants_and_orders_name_them(tmp_path):
    async with php_shop(tmp_path, export_product_on_change=False) as shop:
        stack = shop.stack
        shirt = shop.insert("products", sku="TROJA", name="Tröja", price="200.00", vat=25, weight="0.4")
        small = shop.insert("products", sku="TROJA-S", name="Tröja S", price="200.00", vat=25, stock=4,
                            parent_id=shirt)
        shop.insert("products", sku="TROJA-M", name="Tröja M", price="210.00", vat=25, stock=6, parent_id=shirt)
        order = add_order(shop, small, None, qty=1, sku="TROJA-S")
        await shop.event("order.created", order)
        events = await stack.settle()
        # The order's variant went first, as an article of its own, with its own price and stock.
        assert set(stack.sim.articles) - {"FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT",
                                          "PRESENTINSLAG"} == {"TROJA-S"}
        assert stack.sim.articles["TROJA-S"].weight_kg == Decimal("0.4")  # the product's, which it left out
        [sent] = stack.sim.orders.values()
        assert [r.article_no for r in sent.rows] == ["TROJA-S", "FRAKT"]

        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/export", {"what": "products"})
        assert status == 202
        events = await stack.settle()
        report = next(e for e in events if e.id == body["event_id"]).result
        assert report["refused"] == [] and "TROJA" not in stack.sim.articles  # the product itself is not sold
        assert stack.sim.articles["TROJA-M"].price_ex_vat == Decimal("210.00")
        assert not dead(events)


async def test_a_gift_card_is_its_own_row_off_the_order(tmp_path):
    async with php_shop(tmp_path) as shop:
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7)
        order = add_order(shop, product, None)
        shop.insert("order_gift_cards", order_id=order, code="GC-1234", amount="150.00")
        await shop.event("order.created", order)
        events = await shop.stack.settle()
        [sent] = shop.stack.sim.orders.values()
        assert [(r.article_no, r.name, r.price_ex_vat, r.vat_percent) for r in sent.rows] == [
            ("TS-1", "T-shirt", Decimal("100.00"), Decimal(25)),
            ("FRAKT", "PostNord", Decimal("49.00"), Decimal(25)),
            ("PRESENTKORT", "Presentkort GC-1234", Decimal("-150.00"), Decimal(0)),
        ]
        assert not dead(events)


async def test_an_order_carries_the_buyers_organisation_number_to_specter(tmp_path):
    async with php_shop(tmp_path) as shop:
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7)
        order = add_order(shop, product, None, company="Ek & Co AB", org_no="556677-8899")
        await shop.event("order.created", order)
        events = await shop.stack.settle()
        [buyer] = shop.stack.sim.customers.values()
        assert (buyer.name, buyer.org_no) == ("Ek & Co AB", "556677-8899")
        assert buyer.fields["customerOrganizationalForm"] == "C"  # a company, not a person
        [sent] = shop.stack.sim.orders.values()
        assert sent.customer_id == buyer.customer_id and not dead(events)


async def test_custom_customer_and_order_fields_reach_the_orders_internal_comment(tmp_path):
    async with php_shop(tmp_path, include_customer_fields=True) as shop:
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7)
        customer = shop.insert("customers", email="asa@example.se", first_name="Åsa", last_name="Öberg")
        shop.insert("customer_fields", customer_id=customer, name="Kundnummer", value="K-77")
        order = add_order(shop, product, customer)
        shop.insert("order_fields", order_id=order, name="Leveransinstruktion", value="Ring på dörren")
        await shop.event("order.created", order)
        events = await shop.stack.settle()
        [sent] = shop.stack.sim.orders.values()
        assert sent.fields["internalComment"] == "Kundnummer: K-77\nLeveransinstruktion: Ring på dörren"
        assert not dead(events)


# -- signatures and replays ----------------------------------------------------------------------


async def test_refused_signatures_old_timestamps_and_replays_even_after_a_gateway_restart(tmp_path):
    async with php_shop(tmp_path) as shop:
        stack = shop.stack
        body = json.dumps({"version": 2, "event": "product.created", "id": "1", "nonce": "n-1"}).encode()

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
        # Another gateway process (here: the gateway restarted) has not seen it: the event log has.
        await stack.stop_gateway()
        await stack.start_gateway()
        status, text = await post(good)
        assert status == 200 and json.loads(text) == {"stored": 0, "duplicates": 1}
        assert [e.kind for e in await stack.events() if e.kind.startswith("shop.")] == ["shop.product"]

        # The shop refuses the gateway's calls signed with another secret, and says why.
        wrong = LegacyPhpClient(shop.url, "not-the-secret", stack.http, contract_version=2)
        with pytest.raises(LegacyPhpError, match="unauthorized.*shared secret"):
            await wrong.call("get_product", {"id": "1"})


async def test_the_shop_refuses_a_replayed_call_even_after_its_web_server_restarts(tmp_path):
    async with php_shop(tmp_path) as shop:
        product = shop.insert("products", sku="TS-1", name="T-shirt", price="100.00", vat=25, stock=7)
        http = shop.stack.http
        # A set_stock call as the gateway signs it, captured on its way.
        body = json.dumps({"items": [{"articleNo": "TS-1", "available": 3}], "action": "set_stock",
                           "nonce": "0123456789abcdef"}).encode()
        captured = signed_headers(SECRET, body)

        async def send(action: str = "set_stock") -> tuple[int, dict]:
            async with http.post(shop.url, params={"action": action}, data=body,
                                 headers={"Content-Type": "application/json", **captured}) as resp:
                return resp.status, await resp.json(content_type=None)

        assert (await send())[0] == 200
        shop.sql("UPDATE products SET stock = 5 WHERE id = ?", product)  # a sale since
        status, answer = await send()
        assert status == 401 and "replay" in answer["error"]["message"]
        await shop.stop_server()  # every PHP process gone: the guard is in the shop's database
        await shop.start_server()
        status, answer = await send()
        assert status == 401 and "replay" in answer["error"]["message"]
        assert shop.sql("SELECT stock FROM products WHERE id = ?", product) == [(5,)]
        assert (captured["X-Specter-Signature"],) in shop.sql("SELECT signature FROM specter_seen_requests")

        # A body signed for one action is refused at another, even before it was seen.
        body = json.dumps({"id": str(product), "action": "get_product", "nonce": "fedcba9876543210"}).encode()
        captured = signed_headers(SECRET, body)
        status, answer = await send("set_specter_order_no")
        assert status == 401 and "signed for action 'get_product'" in answer["error"]["message"]

        # The gateway's own calls differ every time, so two equal ones in one second both pass.
        levels = [StockLevel(article_no="TS-1", available=2)]
        for _ in range(2):
            [result] = await shop.hook("update_stock", levels=levels)
            assert result.ok, result.error


# -- the contract version, set per tenant --------------------------------------------------------


async def register(stack: Stack) -> dict[str, Any]:
    """The console's "Register callbacks and webhooks" (it keeps and shows the answer or error)."""
    return await console_register(stack.gw, await stack.gw.tenant(stack.tenant_id))


async def test_a_tenant_set_to_another_version_than_the_scripts_is_told_what_to_change(tmp_path):
    async with php_shop(tmp_path, PHP_DIR, 1, connect=False) as shop:  # v2 scripts, a v1 tenant
        stack = shop.stack
        result = await register(stack)
        assert not result["ok"] and result["error"] == (
            "the shop's scripts speak contract version 2, but the tenant is set to 1: set the tenant's shop setting "
            "contract_version=2")
        code, out = await shop.php("specter_event.php", "product.created", "1")
        assert code == 1 and "contract_version=2" in out  # the shop's error log says it
        assert await stack.events() == []

        status, body = await stack.admin("PATCH", f"/tenants/{stack.tenant_id}", {"shop": {"contract_version": 2}})
        assert status == 200, body
        result = await register(stack)
        assert result["ok"] and "contract version 2" in result["webhooks"][0]
        await shop.event("product.created", shop.insert("products", sku="TS-1", name="T", price="1.00", vat=25))
        await stack.settle()
        assert "TS-1" in stack.sim.articles


async def test_a_v2_tenant_on_v1_scripts_is_told_to_install_them(tmp_path):
    async with php_shop(tmp_path, V1_SCRIPTS, 2, connect=False) as shop:
        result = await register(shop.stack)
        assert not result["ok"] and "install the version 2 scripts" in result["error"]


# -- bulk export and import ----------------------------------------------------------------------


async def test_the_shop_asks_for_the_bulk_export(tmp_path):
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


async def test_get_specter_articles_is_configured_with_the_url_the_console_shows_once(tmp_path):
    async with php_shop(tmp_path, import_products=True) as shop:
        stack = shop.stack
        page_path = f"/admin/tenants/{stack.tenant_id}"
        imports = lambda events: [e for e in events if e.kind == "import.products"]  # noqa: E731
        # A set-up from before (contract v1): the URL built with the tenant's inbound token.
        code, out = await shop.php("get_specter_articles.php")
        assert (code, out) == (0, "Product import started.\n")

        await add_user(stack.gw, "vendor")
        async with console_session() as session:
            console = Console(stack.gateway.url, session)
            assert await console.sign_in("vendor") == 200
            status, page = await console.get(page_path)
            assert status == 200 and "get_specter_articles.php" in page and "No token made yet" in page
            status, page, _ = await console.post(f"{page_path}/import-token", {})
            assert status == 200
            url = html.unescape(re.search(r'<code id="import-url">([^<]+)</code>', page)[1])
            token = url.partition("?token=")[2]
            assert url == f"{stack.gateway.url}/shops/{stack.tenant_id}/get_specter_articles?token={token}"
            assert html.unescape(re.search(r'<code id="import-config">([^<]+)</code>', page)[1]) == (
                f"'import_url' => '{url}',")
            status, page = await console.get(page_path)
            assert token not in page and "is not shown again" in page  # shown once
            # Kept as its hash only: the token is nowhere in the gateway's database (nor its WAL).
            stored = b"".join(p.read_bytes() for p in stack.gw.config.data_dir.glob("gateway.db*"))
            assert hashlib.sha256(token.encode()).hexdigest().encode() in stored and token.encode() not in stored

            code, out = await shop.php("get_specter_articles.php", SPECTER_IMPORT_URL=url)
            assert (code, out) == (0, "Product import started.\n")
            assert len(imports(await stack.events())) == 2

            # A new token: the pasted URL, and the inbound token, open nothing any more.
            await console.post(f"{page_path}/import-token", {})
            code, out = await shop.php("get_specter_articles.php", SPECTER_IMPORT_URL=url)
            assert code == 1 and "The gateway answered 401" in out
            code, out = await shop.php("get_specter_articles.php")
            assert code == 1 and "401" in out
            assert len(imports(await stack.events())) == 2
