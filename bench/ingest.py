"""How many inbound shop events per second the gateway stores durably and acknowledges.

Runs the real gateway under uvicorn (its own process, its store on SQLite with every commit
fsynced, or with ``--postgres`` on a fresh PostgreSQL database with its default durability; jobs
enqueued to arq on Redis with no worker running, as on a web node) and, in the same run, a bare Starlette route
that only reads the body, under uvicorn too. Both get the same signed WooCommerce order webhooks
(a captured real delivery, with a new order id each time) over loopback from this process:
  1. closed loop, CONCURRENCY requests in flight for SECONDS: throughput of each, and the ratio;
  2. open loop at a fixed RATE for SECONDS against the gateway: p50 / p99 latency, measured from
     each request's scheduled send time (so a stall is not hidden).
Targets: the gateway at least 40 % of the bare route's throughput; p99 under 50 ms at
300 requests/s. Prints the figures and writes bench/results/ingest.json.

    python bench/ingest.py [--seconds 10] [--rate 300] [--concurrency 32] [--runner arq|inprocess]
                           [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.woocommerce.webhooks import sign  # noqa: E402
from bench.common import CAPTURES, free_port, start, stop, summary_ms, wait_http, write_result  # noqa: E402

SECRET = "bench-webhook-secret"
ADMIN = "bench-admin-token"
REDIS_URL = "redis://127.0.0.1:6379/7"


def webhook_bodies(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """A captured real order.created delivery, each copy with its own order id and signature."""
    capture = json.loads((CAPTURES / "deliveries" / "017.json").read_text())
    raw: str = capture["body_raw"]
    prefix = '{"id":' + str(capture["body_json"]["id"])
    assert raw.startswith(prefix)
    requests = []
    for n in range(count):
        body = ('{"id":' + str(100000 + n) + raw[len(prefix):]).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.2.5 Hookshot (WordPress/7.0)",
            "X-WC-Webhook-Source": "http://127.0.0.1:8890/",
            "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-ID": "1",
            "X-WC-Webhook-Delivery-ID": f"{n:032x}",
            "X-WC-Webhook-Signature": sign(body, SECRET),
        }
        requests.append((body, headers))
    return requests


async def setup_tenant(env: dict[str, str]) -> None:
    from gateway.config import GatewayConfig
    from gateway.services import Gateway
    from gateway.tenants import TenantService

    config = GatewayConfig.from_env({k: v for k, v in env.items()})
    gw = await Gateway.create(config, runner="none")
    service = TenantService(gw.store, gw.adapters)
    await service.add_account({"id": "bench", "sbm_id": 1, "api_user_id": "u", "user_key": "k", "integration_key": "i"})
    await service.add_tenant({
        "id": "shop", "platform": "woocommerce", "account_id": "bench",
        "shop": {"url": "http://127.0.0.1:9/", "consumer_key": "ck_x", "consumer_secret": "cs_x",
                 "webhook_secret": SECRET},
    })
    await gw.close()


async def closed_loop(url: str, requests, seconds: float, concurrency: int) -> dict:
    done, errors, latencies = 0, 0, []
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        while time.monotonic() < deadline:
            body, headers = requests[next(counter) % len(requests)]
            began = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status == 200:
                    done += 1
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.monotonic()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.monotonic() - began
    return {"requests_per_s": round(done / elapsed, 1), "ok": done, "errors": errors, **summary_ms(latencies)}


async def open_loop(url: str, requests, seconds: float, rate: float) -> dict:
    """Requests sent on a fixed schedule; latency counts from the scheduled time."""
    total = int(seconds * rate)
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as http:
        start_at = time.perf_counter() + 0.2

        async def one(n: int) -> None:
            nonlocal errors
            scheduled = start_at + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            body, headers = requests[n % len(requests)]
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(n) for n in range(total)))
    return {"rate_per_s": rate, "requests": total, "errors": errors, **summary_ms(latencies)}


async def flush_redis() -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    await redis.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runner", choices=["arq", "inprocess"], default="arq")
    parser.add_argument("--postgres", metavar="SERVER_URL", default="",
                        help="store on a new database (dropped afterwards) on this PostgreSQL server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        async with database(args.postgres, tmp) as database_url:
            await run(args, tmp, database_url)


@asynccontextmanager
async def database(server_url: str, tmp: str) -> AsyncIterator[str]:
    """SQLite in ``tmp``, or a new PostgreSQL database on ``server_url``, dropped afterwards."""
    if not server_url:
        yield f"sqlite:///{tmp}/gateway.db"
        return
    import asyncpg

    name = f"sg_pg_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def run(args: argparse.Namespace, tmp: str, database_url: str) -> None:
    env = {
        "SPECTER_GATEWAY_DATA_DIR": tmp,
        "SPECTER_GATEWAY_ADMIN_TOKEN": ADMIN,
        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode(),
        "SPECTER_GATEWAY_REDIS_URL": REDIS_URL if args.runner == "arq" else "",
        "SPECTER_GATEWAY_DATABASE_URL": database_url,
        # Jobs would fail against the unreachable shop and retry: keep them out of the way.
        "SPECTER_GATEWAY_RECONCILE_SECONDS": "3600",
    }
    if args.runner == "arq":
        await flush_redis()
    await setup_tenant(env)
    requests = webhook_bodies(int(args.seconds * max(args.rate, 3000)) + 1000)

    bare_port, gw_port = free_port(), free_port()
    bare = start(["-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--log-level", "warning",
                  "--no-access-log"])
    gateway = start(["-m", "gateway.cli", "serve", "--port", str(gw_port), "--log-level", "warning"], env)
    try:
        await wait_http(f"http://127.0.0.1:{bare_port}/", bare)
        await wait_http(f"http://127.0.0.1:{gw_port}/healthz", gateway)
        bare_url = f"http://127.0.0.1:{bare_port}/shops/shop/events"
        gw_url = f"http://127.0.0.1:{gw_port}/shops/shop/events"
        await closed_loop(gw_url, requests[-500:], 1.0, 8)  # warm up both
        await closed_loop(bare_url, requests[-500:], 1.0, 8)
        bare_result = await closed_loop(bare_url, requests, args.seconds, args.concurrency)
        gw_result = await closed_loop(gw_url, requests, args.seconds, args.concurrency)
        fixed = await open_loop(gw_url, requests[::-1], args.seconds, args.rate)
    finally:
        stop(gateway)
        stop(bare)
    stored = await count_events(env)
    if args.runner == "arq":
        await flush_redis()

    ratio = gw_result["requests_per_s"] / bare_result["requests_per_s"]
    result = {
        "benchmark": "ingest",
        "runner": args.runner,
        "database": "postgresql" if args.postgres else "sqlite",
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "bare_route": bare_result,
        "gateway": gw_result,
        "throughput_ratio": round(ratio, 3),
        "fixed_rate": fixed,
        "events_stored": stored,
        "targets": {"throughput_ratio_min": 0.40, "p99_ms_max_at_300_per_s": 50},
        "met": {"throughput_ratio": ratio >= 0.40, "p99_at_rate": fixed["p99_ms"] < 50 and fixed["errors"] == 0},
    }
    for label, loop in (("bare Starlette route", bare_result), ("gateway (store+ack) ", gw_result)):
        print(f"{label} : {loop['requests_per_s']:8.1f} req/s  p50 {loop['p50_ms']} ms  p99 {loop['p99_ms']} ms")
    print(f"ratio                : {ratio:.2f} (target >= 0.40)")
    print(f"at {args.rate:.0f} req/s        : p50 {fixed['p50_ms']} ms  p99 {fixed['p99_ms']} ms  "
          f"errors {fixed['errors']} (target p99 < 50 ms)")
    print(f"events stored        : {stored}")
    print(f"written to {write_result('ingest' if not args.postgres else 'ingest-postgresql', result)}")


async def count_events(env: dict[str, str]) -> int:
    from gateway.config import GatewayConfig
    from gateway.services import Gateway

    gw = await Gateway.create(GatewayConfig.from_env(env), runner="none")
    try:
        return sum((await gw.store.count_events()).values())
    finally:
        await gw.close()


if __name__ == "__main__":
    asyncio.run(main())
