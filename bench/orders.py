"""Orders through the whole system at a steady rate: webhook-to-Specter latency and throughput.

Starts the Specter simulator, a fake WooCommerce and the gateway as separate processes on
loopback, connects a tenant, then places orders in the fake shop at RATE per second for SECONDS.
Each order fires order.created and order.updated webhooks; the gateway stores them, a job
re-fetches the order, makes sure of the customer and articles, sends newOrderSubmit and writes
Specter's number back to the shop. Latency is from the webhook being stored to that job being
done (read from the gateway's event log); every order is checked to be in the simulator once.
Runs with the in-process runner, then with arq (WORKERS worker processes on the local Redis).
Target: p99 under 500 ms at 50 orders/s. Writes bench/results/orders.json.

With ``--rules N`` each runner runs twice, without rules and with N rules on the tenant (one sets
the internal comment from a template, one maps the delivery method, the rest test conditions that
do not hold, as most of a real rule set does for most orders), and the p99s are compared. Target:
within 10 % of no rules. Writes bench/results/orders_rules.json.

    python bench/orders.py [--rate 50] [--seconds 20] [--workers 2] [--rules 50] [--runners inprocess]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import free_port, start, stop, summary_ms, wait_http, write_result  # noqa: E402

SBM = 1001
ADMIN = "bench-admin-token"
REDIS_URL = "redis://127.0.0.1:6379/8"
SERVICE_ARTICLES = ["FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT", "PRESENTINSLAG"]


def order_body(product_id: int, n: int) -> dict:
    billing = {"first_name": "Kund", "last_name": f"Nummer{n}", "address_1": "Gatan 1", "city": "Malmö",
               "postcode": "21111", "country": "SE", "email": f"kund{n % 500}@example.se"}
    return {"order": {
        "status": "processing", "payment_method": "klarna_payments", "transaction_id": f"kl-{n}", "set_paid": True,
        "billing": billing, "shipping": billing, "line_items": [{"product_id": product_id, "quantity": 1}],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "PostNord", "total": "49.00"}],
    }}


def bench_rules(count: int) -> list[dict]:
    """``count`` rules for the order flow: two that change every order, the rest never hold."""
    changing = [
        {"name": "comment", "flow": "order_to_specter",
         "actions": [{"do": "set", "field": "internal_comment", "template": "Paid by {payment.method}"}]},
        {"name": "delivery", "flow": "order_to_specter",
         "actions": [{"do": "map", "field": "delivery_method_id", "table": {"flat_rate": "PN"}}]},
    ]
    idle = [{"name": f"idle-{n}", "flow": "order_to_specter",
             "when": {"any": [{"field": "payment.method", "op": "equals", "value": f"method-{n}"},
                              {"all": [{"field": "total", "op": "gt", "value": 1_000_000 + n},
                                       {"field": "customer.email", "op": "matches", "value": f"^nobody{n}@"}]}]},
             "actions": [{"do": "set", "field": "stock_site_id", "value": "9"}]}
            for n in range(max(0, count - len(changing)))]
    return (changing + idle)[:count]


async def run_once(runner: str, rate: float, seconds: float, workers: int, rules: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        async with aiohttp.ClientSession() as http:
            return await _run(Path(tmp), http, runner, rate, seconds, workers, rules)


async def _run(tmp: Path, http: aiohttp.ClientSession, runner: str, rate: float, seconds: float, workers: int,
               rules: int = 0) -> dict:
    sim_port, shop_port, gw_port = free_port(), free_port(), free_port()
    env = {
        "SPECTER_GATEWAY_DATA_DIR": str(tmp),
        "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN,
        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode(),
        "SPECTER_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{gw_port}",
        "SPECTER_GATEWAY_REDIS_URL": REDIS_URL if runner == "arq" else "",
        "SPECTER_GATEWAY_QUEUE_NAME": f"bench-orders-{int(time.time())}",
    }
    procs = []
    try:
        sim = start(["-m", "gateway.cli", "simulate", "specter", "--port", str(sim_port), "--account", f"{SBM}:u:k:i"])
        shop = start(["-m", "gateway.cli", "simulate", "woocommerce", "--port", str(shop_port)])
        gateway = start(["-m", "gateway.cli", "serve", "--port", str(gw_port), "--log-level", "warning"], env)
        procs += [sim, shop, gateway]
        if runner == "arq":
            procs += [start(["-m", "gateway.cli", "worker"], env) for _ in range(workers)]
        await wait_http(f"http://127.0.0.1:{sim_port}/_control/requests", sim)
        await wait_http(f"http://127.0.0.1:{shop_port}/_control/state", shop)
        await wait_http(f"http://127.0.0.1:{gw_port}/healthz", gateway)
        sim_url, shop_url, gw_url = (f"http://127.0.0.1:{p}/" for p in (sim_port, shop_port, gw_port))
        product_id = await setup(http, sim_url, shop_url, gw_url)
        if rules:
            async with http.put(f"{gw_url}admin/api/tenants/shop/rules", json={"rules": bench_rules(rules)},
                                headers={"Authorization": f"Bearer {ADMIN}"}) as resp:
                assert resp.status == 200, await resp.text()

        total = int(rate * seconds)
        began = time.perf_counter()
        for n in range(total):
            await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
            async with http.post(shop_url + "_control/orders", json=order_body(product_id, n)) as resp:
                assert resp.status == 201, await resp.text()
        done = await wait_done(tmp / "gateway.db", total, timeout=max(60.0, seconds * 3))
        async with http.get(f"{sim_url}_control/{SBM}/orders") as resp:
            in_specter = len(await resp.json())
    finally:
        for proc in procs:
            stop(proc)
    latencies = [finished - created for created, finished in done]
    span = max(f for _, f in done) - min(c for c, _ in done) if done else float("nan")
    return {
        "runner": runner, "rules": rules, "rate_per_s": rate, "orders_placed": total, "orders_exported": len(done),
        "orders_in_specter": in_specter, "sustained_orders_per_s": round(len(done) / span, 1),
        **summary_ms(latencies),
    }


async def setup(http: aiohttp.ClientSession, sim_url: str, shop_url: str, gw_url: str) -> int:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with http.post(f"{sim_url}_control/{SBM}/service-articles",
                         json=[{"articleNo": a, "name": a} for a in SERVICE_ARTICLES]) as resp:
        assert resp.status < 400, await resp.text()
    for path, body in [
        ("accounts", {"id": "acct", "sbm_id": SBM, "api_user_id": "u", "user_key": "k", "integration_key": "i",
                      "base_url": sim_url}),
        ("tenants", {"id": "shop", "platform": "woocommerce", "account_id": "acct",
                     "shop": {"url": shop_url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake",
                              "webhook_secret": "fake-webhook-secret"},
                     "settings": {"export_product_on_change": False}}),
        ("tenants/shop/connect", None),
    ]:
        async with http.post(f"{gw_url}admin/api/{path}", json=body, headers=headers) as resp:
            assert resp.status in (200, 201), await resp.text()
    async with http.post(shop_url + "_control/products", json={
            "name": "Bench", "sku": "BENCH-1", "regular_price": "100.00", "manage_stock": True,
            "stock_quantity": 1_000_000}) as resp:
        return (await resp.json())["id"]


async def wait_done(db: Path, orders: int, timeout: float) -> list[tuple[float, float]]:
    """(stored, done) times of the order events that sent an order to Specter."""
    deadline = time.monotonic() + timeout
    query = ("SELECT created_at, updated_at FROM events WHERE kind = 'shop.order' AND status = 'done'"
             " AND result LIKE '%specter_order_id%' AND result NOT LIKE '%already in Specter%'")
    while True:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(query).fetchall()
        if len(rows) >= orders or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rules", type=int, default=0, help="compare with this many rules on the tenant")
    parser.add_argument("--runners", default="inprocess,arq")
    args = parser.parse_args()
    runners = [r for r in args.runners.split(",") if r]
    if args.rules:
        await compare_rules(args, runners)
        return
    results = [await run_once(runner, args.rate, args.seconds, args.workers) for runner in runners]
    for r in results:
        print(f"{r['runner']:>9}: {r['orders_exported']}/{r['orders_placed']} orders in Specter "
              f"({r['orders_in_specter']} there), p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
              f"sustained {r['sustained_orders_per_s']} orders/s (target p99 < 500 ms at {args.rate:.0f}/s)")
    path = write_result("orders", {"benchmark": "orders", "results": results,
                                   "target": {"p99_ms_max": 500, "rate_per_s": args.rate},
                                   "met": all(r["p99_ms"] < 500 and r["orders_exported"] == r["orders_placed"]
                                              for r in results)})
    print(f"written to {path}")


async def compare_rules(args: argparse.Namespace, runners: list[str]) -> None:
    rows = []
    for runner in runners:
        bare = await run_once(runner, args.rate, args.seconds, args.workers)
        ruled = await run_once(runner, args.rate, args.seconds, args.workers, args.rules)
        ratio = round(ruled["p99_ms"] / bare["p99_ms"], 3) if bare["p99_ms"] else float("nan")
        rows.append({"runner": runner, "without": bare, "with": ruled, "p99_ratio": ratio})
        print(f"{runner:>9}: p99 {bare['p99_ms']} ms without rules, {ruled['p99_ms']} ms with {args.rules} "
              f"(ratio {ratio}; target <= 1.10); p50 {bare['p50_ms']} / {ruled['p50_ms']} ms; "
              f"{ruled['orders_exported']}/{ruled['orders_placed']} orders with rules in Specter")
    path = write_result("orders_rules", {"benchmark": "orders_rules", "rules": args.rules, "results": rows,
                                         "target": {"p99_ratio_max": 1.10},
                                         "met": all(r["p99_ratio"] <= 1.10 for r in rows)})
    print(f"written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
