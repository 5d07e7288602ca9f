"""Backfill: the orders a shop took before the gateway (or while nothing told it) reach Specter
once, from the command line or the admin API; what Specter has and what is not exportable are
reported, and running it again sends nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys

from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import Stack, running_stack, wait_for


async def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(stack.config.data_dir),
                        "SPECTER_GATEWAY_SECRET_KEY": stack.config.secret_key}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "gateway.cli", *args], env=env,
                                   capture_output=True, text=True, timeout=60)


async def test_backfill_sends_each_missing_order_once_and_skips_those_in_specter(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        ts = await shop.control("POST", "products", product_fields("TS-1", stock=100))
        await stack.settle()
        hooks = (await shop.rest.request("GET", "webhooks")).data
        for hook in hooks:  # three days ago the shop ran without the gateway
            await shop.rest.request("PUT", f"webhooks/{hook['id']}", body={"status": "paused"})
        await shop.control("POST", "clock", {"advance_s": -3 * 86400})
        first = await shop.checkout(order_payload([(ts["id"], 1)]))
        unpaid = await shop.checkout(order_payload([(ts["id"], 1)], status="pending", set_paid=False))
        second = await shop.checkout(order_payload([(ts["id"], 2)]))
        await shop.control("POST", "clock", {"advance_s": 3 * 86400})
        for hook in hooks:
            await shop.rest.request("PUT", f"webhooks/{hook['id']}", body={"status": "active"})
        recent = await shop.checkout(order_payload([(ts["id"], 3)]))  # its webhook sends it
        await stack.settle()
        assert [o.external_order_no for o in stack.sim.orders.values()] == [str(recent["number"])]

        since = (dt.date.today() - dt.timedelta(days=7)).isoformat()
        done = await cli(stack, "backfill", stack.tenant_id, "--since", since)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"4 orders changed since {since}T00:00:00+00:00: 2 queued for Specter, "
                                      "0 queued by an earlier backfill, 1 already in Specter, 1 not exportable")
        assert f"not exportable\t{unpaid['id']}\tthe order is pending, not yet placed" in done.stdout
        # At once again, over the admin API: nothing new is queued, whether the first run's
        # orders are on their way or sent.
        status, again = await stack.admin("POST", f"/tenants/{stack.tenant_id}/backfill", {"since": since})
        assert status == 200 and again["queued"] == []
        assert sorted(again["already_queued"] + again["in_specter"]) == sorted(
            str(o["id"]) for o in (first, second, recent))

        wanted = sorted(str(o["number"]) for o in (first, second, recent))

        async def sent() -> bool:
            return sorted(o.external_order_no for o in stack.sim.orders.values()) == wanted

        await wait_for(sent, 20, "the backfilled orders to reach Specter")
        await stack.settle()
        status, third = await stack.admin("POST", f"/tenants/{stack.tenant_id}/backfill", {"since": since})
        assert third["counts"] == {"found": 4, "queued": 0, "already_queued": 0, "in_specter": 3, "not_exportable": 1}
        await stack.settle()
        assert sorted(o.external_order_no for o in stack.sim.orders.values()) == wanted  # each once


async def test_a_date_that_does_not_parse_is_refused_clearly(tmp_path):
    async with running_stack(tmp_path) as stack:
        done = await cli(stack, "backfill", stack.tenant_id, "--since", "2025-13-45")
        assert done.returncode == 2
        assert done.stderr.startswith("error: since must be a date YYYY-MM-DD (or an ISO 8601 time), not '2025-13-45'")
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/backfill", {"since": "last week"})
        assert status == 400 and body == {
            "error": "since must be a date YYYY-MM-DD (or an ISO 8601 time), not 'last week'", "field": "$.since"}
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/backfill", {})
        assert status == 400 and body["field"] == "$.since"
        tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/backfill", {"since": tomorrow})
        assert status == 400 and "in the future" in body["error"]
        assert await stack.events() == []  # nothing recorded
