"""Stock of a large catalogue from Specter to a shop: time until every level is in the shop.

The Specter simulator, a fake WooCommerce and the gateway run as separate processes. Setup (not
timed): N articles in Specter and as products in the shop, exported once so the gateway's id map
knows where each lives (as after a tenant's initial export). Then every answer of the shop's
API is made to take 50 ms, the stock of all N articles is changed in Specter at once, and the
clock runs from that change (Specter calls the gateway back) until the shop holds every new
level. Printed next to two references computed in the same run:
  - the WooCommerce connector's schedule: 100 articles every 5 s (83 minutes for 100,000);
  - the floor the shop sets: N/100 requests of 50 ms with the configured requests in flight.
Targets: within 1.5x the floor, and at least 100x faster than the WooCommerce connector's schedule.
Writes bench/results/stock.json.

    python bench/stock.py [--articles 100000] [--latency-ms 50] [--in-flight 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import free_port, start, stop, wait_http, write_result  # noqa: E402

SBM = 1001
ADMIN = "bench-admin-token"
PREFIX = "STK-"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
            result = await run(Path(tmp), http, args.articles, args.latency_ms, args.in_flight)
    n = args.articles
    connector_s = n / 100 * 5
    floor_s = (n / 100) * (args.latency_ms / 1000) / args.in_flight
    took = result["seconds"]
    report = {
        "benchmark": "stock", "articles": n, "shop_latency_ms": args.latency_ms, "in_flight": args.in_flight,
        "seconds": round(took, 2), "floor_seconds": round(floor_s, 2),
        "connector_schedule_seconds": round(connector_s, 1),
        "vs_floor": round(took / floor_s, 2), "faster_than_connector": round(connector_s / took, 1),
        "levels_in_shop": result["in_shop"], "shop_requests": result["requests"], "phases": result["phases"],
        "targets": {"vs_floor_max": 1.5, "faster_than_connector_min": 100},
        "met": took / floor_s <= 1.5 and connector_s / took >= 100 and result["in_shop"] == n,
    }
    print(f"{n} stock levels in the shop after {took:.1f} s ({result['in_shop']} checked)")
    print(f"floor set by the shop ({n // 100} requests x {args.latency_ms} ms / {args.in_flight} in flight): "
          f"{floor_s:.1f} s -> {took / floor_s:.2f}x the floor (target <= 1.5x)")
    print(f"phases: {result['phases']}")
    print(f"the connector's schedule (100 every 5 s): {connector_s / 60:.0f} min"
          f" -> {connector_s / took:.0f}x faster (target >= 100x)")
    print(f"written to {write_result('stock', report)}")


async def run(tmp: Path, http: aiohttp.ClientSession, n: int, latency_ms: int, in_flight: int) -> dict:
    sim_port, shop_port, gw_port = free_port(), free_port(), free_port()
    env = {
        "SPECTER_GATEWAY_DATA_DIR": str(tmp), "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN,
        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode(),
        "SPECTER_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{gw_port}",
        "SPECTER_GATEWAY_STOCK_REQUESTS_IN_FLIGHT": str(in_flight),
    }
    sim = start(["-m", "gateway.cli", "simulate", "specter", "--port", str(sim_port), "--account", f"{SBM}:u:k:i"])
    shop = start(["-m", "gateway.cli", "simulate", "woocommerce", "--port", str(shop_port)])
    gateway = start(["-m", "gateway.cli", "serve", "--port", str(gw_port), "--log-level", "warning"], env)
    try:
        sim_url, shop_url, gw_url = (f"http://127.0.0.1:{p}/" for p in (sim_port, shop_port, gw_port))
        await wait_http(sim_url + "_control/requests", sim)
        await wait_http(shop_url + "_control/state", shop)
        await wait_http(gw_url + "healthz", gateway)
        headers = {"Authorization": f"Bearer {ADMIN}"}

        async def post(url: str, body=None, ok=(200, 201, 202)):
            async with http.post(url, json=body, headers=headers) as resp:
                assert resp.status in ok, await resp.text()
                return await resp.json(content_type=None)

        await post(f"{sim_url}_control/{SBM}/articles",
                   [{"articleNo": f"{PREFIX}{i}", "name": f"Artikel {i}", "priceExclVat": "99.00", "stock": {"1": 5}}
                    for i in range(n)])
        await post(shop_url + "_control/products/bulk", {"count": n, "prefix": PREFIX, "stock": 5})
        await post(gw_url + "admin/api/accounts", {"id": "acct", "sbm_id": SBM, "api_user_id": "u", "user_key": "k",
                                                   "integration_key": "i", "base_url": sim_url})
        await post(gw_url + "admin/api/tenants", {
            "id": "shop", "platform": "woocommerce", "account_id": "acct",
            "shop": {"url": shop_url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake",
                     "webhook_secret": "fake-webhook-secret"},
            "settings": {"export_product_on_change": False, "delete_from_specter": False, "article_sync": False}})
        await post(gw_url + "admin/api/tenants/shop/connect")
        export = await post(gw_url + "admin/api/tenants/shop/export", {"what": "products", "mode": "new"})
        await wait_event(http, gw_url, headers, export["event_id"], timeout=600)
        await wait_settled(http, gw_url, headers)

        await post(shop_url + "_control/faults", {"kind": "latency", "ms": latency_ms})
        before = await requests_made(http, shop_url)
        began = time.perf_counter()
        await post(f"{sim_url}_control/{SBM}/stock", [{"articleNo": f"{PREFIX}{i}", "site": "1", "inStock": 1000 + i}
                                                      for i in range(n)])
        began_wall = time.time()
        in_shop = await wait_levels(http, shop_url, n)
        seconds = time.perf_counter() - began
        phases = await phase_times(tmp / "gateway.db", began_wall)
        return {"seconds": seconds, "in_shop": in_shop, "requests": await requests_made(http, shop_url) - before,
                "phases": phases}
    finally:
        for proc in (gateway, shop, sim):
            stop(proc)


async def phase_times(db: Path, since: float) -> dict:
    """Seconds from the change to the end of the pull (read, store, acknowledge) and of the push."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, MIN(created_at), MAX(updated_at) FROM events WHERE created_at >= ?"
                            " AND kind IN ('specter.stock', 'stock.push') GROUP BY kind", (since - 1,)).fetchall()
    return {kind: {"queued_after_s": round(start - since, 2), "done_after_s": round(end - since, 2)}
            for kind, start, end in rows}


async def wait_event(http, gw_url: str, headers: dict, event_id: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with http.get(f"{gw_url}admin/api/tenants/shop/events/{event_id}", headers=headers) as resp:
            event = await resp.json()
        if event["status"] in ("done", "dead", "skipped"):
            assert event["status"] == "done", event
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"event {event_id} did not finish")


async def wait_settled(http, gw_url: str, headers: dict) -> None:
    """Let the start-up pulls and the initial stock push finish before the clock starts."""
    for _ in range(600):
        async with http.get(f"{gw_url}admin/api/tenants/shop", headers=headers) as resp:
            counts = (await resp.json())["counts"]
        if not (counts.get("pending", 0) or counts.get("running", 0) or counts.get("retry", 0)):
            return
        await asyncio.sleep(0.5)


async def requests_made(http, shop_url: str) -> int:
    async with http.get(shop_url + "_control/stock-summary") as resp:
        return (await resp.json())["batch_requests"]


async def wait_levels(http, shop_url: str, n: int, timeout: float = 1200) -> int:
    """How many products hold their new level; waits until all do (polling the shop's state)."""
    deadline = time.monotonic() + timeout
    while True:
        async with http.get(shop_url + "_control/stock-summary") as resp:
            summary = await resp.json()
        if summary["products"] >= n or time.monotonic() > deadline:
            return summary["products"]
        await asyncio.sleep(0.25)  # each look scans the whole catalogue in the shop's process


if __name__ == "__main__":
    asyncio.run(main())
