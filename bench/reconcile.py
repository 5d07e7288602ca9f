"""Reconciling a large catalogue: time and peak memory, next to the stock push of the same articles.

The Specter simulator, a fake WooCommerce and the gateway run as separate processes. Setup (not
timed) as in bench/stock.py: N articles in Specter and as products in the shop, exported once.
Every answer of the shop's API is then made to take 50 ms, and in the same run:

  1. the stock push: every article's stock changed in Specter at once, timed until the shop
     holds every new level (bench/stock.py's measure);
  2. a reconciliation: with Specter owning the article data, D products' stock and price are
     changed in the shop behind the gateway's back (its admin edits them), then a reconciliation
     is asked for over the admin API and timed until its report is stored (Specter's pulls read
     first, all N articles compared); its healing is timed until the shop holds Specter's levels.

The gateway process's memory (RSS) is sampled every 0.1 s during each; its peak is reported.
Targets: the reconciliation within 1.5x the push, its peak under 250 MB. Writes
bench/results/reconcile.json.

    python bench/reconcile.py [--articles 100000] [--drifted 100] [--latency-ms 50] [--in-flight 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import psutil
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import free_port, start, stop, wait_http, write_result  # noqa: E402
from bench.stock import wait_event, wait_levels, wait_settled  # noqa: E402

SBM = 1001
ADMIN = "bench-admin-token"
PREFIX = "REC-"
TARGET_RATIO = 1.5
TARGET_MB = 250


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--drifted", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as http:
            result = await run(Path(tmp), http, args.articles, args.drifted, args.latency_ms, args.in_flight)
    n, push, rec = args.articles, result["push"], result["reconcile"]
    ratio = rec["seconds"] / push["seconds"]
    report = {
        "benchmark": "reconcile", "articles": n, "drifted": args.drifted, "shop_latency_ms": args.latency_ms,
        "in_flight": args.in_flight, "push": push, "reconcile": rec, "vs_push": round(ratio, 2),
        "targets": {"vs_push_max": TARGET_RATIO, "peak_rss_mb_max": TARGET_MB},
        "met": (ratio <= TARGET_RATIO and rec["peak_rss_mb"] < TARGET_MB and rec["articles_compared"] == n
                and rec["stock_healed"] == args.drifted and rec["prices_healed"] == args.drifted),
    }
    print(f"stock push of {n} levels: {push['seconds']:.1f} s, gateway peak RSS {push['peak_rss_mb']:.0f} MB")
    print(f"reconciliation of {n} articles ({rec['articles_compared']} compared, {rec['stock_healed']} levels and "
          f"{rec['prices_healed']} prices healed): {rec['seconds']:.1f} s -> {ratio:.2f}x the push "
          f"(target <= {TARGET_RATIO}x); healed in the shop after {rec['healed_after_s']:.1f} s")
    print(f"gateway peak RSS while reconciling: {rec['peak_rss_mb']:.0f} MB (target < {TARGET_MB} MB)")
    print(f"written to {write_result('reconcile', report)}")


@contextlib.asynccontextmanager
async def peak_rss(pid: int) -> AsyncIterator[dict[str, float]]:
    """Sample the process's resident memory every 0.1 s while the block runs; ``["mb"]`` is the peak."""
    process, peak = psutil.Process(pid), {"mb": 0.0}

    async def sample() -> None:
        while True:
            peak["mb"] = max(peak["mb"], process.memory_info().rss / 2**20)
            await asyncio.sleep(0.1)

    task = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        task.cancel()
        peak["mb"] = round(max(peak["mb"], process.memory_info().rss / 2**20), 1)


async def run(tmp: Path, http: aiohttp.ClientSession, n: int, drifted: int, latency_ms: int, in_flight: int) -> dict:
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

        async def send(method: str, url: str, body=None, ok=(200, 201, 202)):
            async with http.request(method, url, json=body, headers=headers) as resp:
                assert resp.status in ok, await resp.text()
                return await resp.json(content_type=None)

        await send("POST", f"{sim_url}_control/{SBM}/articles",
                   [{"articleNo": f"{PREFIX}{i}", "name": f"Artikel {i}", "priceExclVat": "99.00", "stock": {"1": 5}}
                    for i in range(n)])
        bulk = await send("POST", shop_url + "_control/products/bulk", {"count": n, "prefix": PREFIX, "stock": 5})
        await send("POST", gw_url + "admin/api/accounts", {"id": "acct", "sbm_id": SBM, "api_user_id": "u",
                                                            "user_key": "k", "integration_key": "i",
                                                            "base_url": sim_url})
        await send("POST", gw_url + "admin/api/tenants", {
            "id": "shop", "platform": "woocommerce", "account_id": "acct",
            "shop": {"url": shop_url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake",
                     "webhook_secret": "fake-webhook-secret"},
            "settings": {"export_product_on_change": False, "delete_from_specter": False, "article_sync": False}})
        await send("POST", gw_url + "admin/api/tenants/shop/connect")
        export = await send("POST", gw_url + "admin/api/tenants/shop/export", {"what": "products", "mode": "new"})
        await wait_event(http, gw_url, headers, export["event_id"], timeout=900)
        await wait_settled(http, gw_url, headers)
        # Specter flagged its articles before the gateway knew the account (no callback came):
        # a first reconciliation reads them, as the gateway's next poll would, and finds no drift.
        first = await send("POST", gw_url + "admin/api/tenants/shop/reconcile")
        await wait_event(http, gw_url, headers, first["event_id"], timeout=900)
        await wait_settled(http, gw_url, headers)
        await send("POST", shop_url + "_control/faults", {"kind": "latency", "ms": latency_ms})

        # 1. The stock push, as bench/stock.py times it.
        async with peak_rss(gateway.pid) as push_peak:
            began = time.perf_counter()
            await send("POST", f"{sim_url}_control/{SBM}/stock",
                       [{"articleNo": f"{PREFIX}{i}", "site": "1", "inStock": 1000 + i} for i in range(n)])
            pushed = await wait_levels(http, shop_url, n)
            push_seconds = time.perf_counter() - began
        await wait_settled(http, gw_url, headers)

        # 2. Specter owns the article data now; the shop's admin edits some products behind the
        # gateway's back (their webhooks change nothing in Specter), then a reconciliation.
        await send("PATCH", gw_url + "admin/api/tenants/shop", {"settings": {"article_sync": True}})
        step = max(1, n // drifted)
        for k in range(drifted):
            await send("PUT", f"{shop_url}_control/products/{bulk['first_id'] + k * step}",
                       {"stock_quantity": 0, "regular_price": "89.00"})
        await wait_settled(http, gw_url, headers)
        async with peak_rss(gateway.pid) as reconcile_peak:
            began = time.perf_counter()
            asked = await send("POST", gw_url + "admin/api/tenants/shop/reconcile")
            await wait_event(http, gw_url, headers, asked["event_id"], timeout=900)
            reconcile_seconds = time.perf_counter() - began
            healed = await wait_levels(http, shop_url, n)
            healed_after = time.perf_counter() - began
        await wait_settled(http, gw_url, headers)
        report = await send("GET", gw_url + "admin/api/tenants/shop/reconciliation")
        return {
            "push": {"seconds": round(push_seconds, 2), "levels_in_shop": pushed, "peak_rss_mb": push_peak["mb"]},
            "reconcile": {"seconds": round(reconcile_seconds, 2), "healed_after_s": round(healed_after, 2),
                          "levels_in_shop": healed, "articles_compared": report["articles"],
                          "stock_healed": report["stock_healed_count"], "prices_healed": report["prices_healed_count"],
                          "needs_person": report["needs_person_count"], "peak_rss_mb": reconcile_peak["mb"]},
        }
    finally:
        for proc in (gateway, shop, sim):
            stop(proc)


if __name__ == "__main__":
    asyncio.run(main())
