"""Bulk export of a large catalogue: time and peak memory of ``specter-gateway export products``.

Fills a fake WooCommerce (its own process) with N simple products, then runs the export CLI as
an operator would, in its own process, against the Specter simulator (its own process), and
reads the CLI's peak RSS from the kernel when it exits. The same run exports a catalogue a
tenth the size first, as the baseline: memory must not grow with the catalogue.
Target: 100,000 products under 200 MB peak RSS. Writes bench/results/export.json.

    python bench/export.py [--products 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, free_port, start, stop, wait_http, write_result  # noqa: E402

SBM = 1001


async def setup_tenant(env: dict[str, str], sim_url: str, shop_url: str) -> None:
    from gateway.config import GatewayConfig
    from gateway.services import Gateway
    from gateway.tenants import TenantService

    gw = await Gateway.create(GatewayConfig.from_env(env), runner="none")
    service = TenantService(gw.store, gw.adapters)
    await service.add_account({"id": "acct", "sbm_id": SBM, "api_user_id": "u", "user_key": "k",
                               "integration_key": "i", "base_url": sim_url})
    await service.add_tenant({"id": "shop", "platform": "woocommerce", "account_id": "acct",
                              "shop": {"url": shop_url, "consumer_key": "ck_fake", "consumer_secret": "cs_fake"}})
    await gw.close()


def run_export(env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, output) of one export CLI process."""
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "export", "products", "shop", "--mode", "all"],
                            cwd=ROOT, env=os.environ | env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"export failed: {err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[0]


async def export_catalogue(count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        sim_port, shop_port = free_port(), free_port()
        sim = start(["-m", "gateway.cli", "simulate", "specter", "--port", str(sim_port), "--account", f"{SBM}:u:k:i"])
        shop = start(["-m", "gateway.cli", "simulate", "woocommerce", "--port", str(shop_port)])
        try:
            sim_url, shop_url = f"http://127.0.0.1:{sim_port}/", f"http://127.0.0.1:{shop_port}/"
            await wait_http(sim_url + "_control/requests", sim)
            await wait_http(shop_url + "_control/state", shop)
            async with aiohttp.ClientSession() as http:
                async with http.post(shop_url + "_control/products/bulk", json={"count": count}) as resp:
                    assert resp.status == 200, await resp.text()
            env = {"SPECTER_GATEWAY_DATA_DIR": tmp, "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode()}
            await setup_tenant(env, sim_url, shop_url)
            seconds, peak_mb, summary = await asyncio.to_thread(run_export, env)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{sim_url}_control/requests") as resp:
                    calls = await resp.json()
        finally:
            stop(sim)
            stop(shop)
    return {"products": count, "seconds": round(seconds, 1), "products_per_s": round(count / seconds, 1),
            "peak_rss_mb": round(peak_mb, 1), "cli_summary": summary,
            "specter_calls": {k: v for k, v in calls.items() if "newarticlesubmit" in k.lower()}}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    baseline = await export_catalogue(args.products // 10)
    full = await export_catalogue(args.products)
    growth = full["peak_rss_mb"] / baseline["peak_rss_mb"]
    for r in (baseline, full):
        print(f"{r['products']:>7} products: {r['seconds']} s ({r['products_per_s']}/s), peak RSS {r['peak_rss_mb']} MB"
              f" -- {r['cli_summary']}")
    print(f"peak RSS ratio {full['products']} vs {baseline['products']} products: {growth:.2f} "
          "(target: flat; < 200 MB)")
    path = write_result("export", {"benchmark": "export", "baseline": baseline, "full": full,
                                   "peak_rss_ratio": round(growth, 2),
                                   "target": {"peak_rss_mb_max": 200},
                                   "met": full["peak_rss_mb"] < 200})
    print(f"written to {path}")


if __name__ == "__main__":
    asyncio.run(main())
