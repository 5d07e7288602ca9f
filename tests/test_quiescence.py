"""Quiescence: once both systems have settled after a mixed workload, three poll intervals pass
without a single write in either direction. Every write the gateway makes comes back to it as an
event from the other side (a webhook, a flag, the next poll); a gateway that does not recognise
its own writes, or writes what did not change, never stops.

The writes are counted from the simulators' own request logs: Specter's calls per action
(``/_control/requests``) and every request that changed something in each fake shop."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.databases import both_databases
from tests.stack import SBM_ID, Stack, running_stack, wait_for

POLL_SECONDS = 1.0
# Specter's actions that change something in Specter.
SPECTER_WRITES = ("newarticlesubmit", "newcustomersubmit", "newordersubmit", "deletearticle", "deleteorder",
                  "newdeliverysubmit", "newinvoicesubmit")


async def specter_writes(stack: Stack) -> Counter[str]:
    async with stack.http.get(f"{stack.specter.url}_control/requests") as resp:
        calls: dict[str, int] = await resp.json()
    return Counter({action: n for key, n in calls.items()
                    if key.startswith(f"{SBM_ID}:") and (action := key.split(":", 1)[1]) in SPECTER_WRITES})


async def polls(stack: Stack) -> int:
    """How many times the gateway has pulled stock from Specter (once a poll)."""
    return len({e.id for e in await stack.all_events() if e.kind == "specter.stock"})


@both_databases
async def test_both_sides_settle_to_no_writes_at_all(tmp_path, database):
    async with running_stack(tmp_path, mixed=["woocommerce", "abicart"], poll_seconds=POLL_SECONDS,
                             database_url=database.url,
                             tax_classes={"12": "reduced-rate"}) as stack:
        woo_id, abi_id = stack.tenants
        woo, abi = stack.drivers[woo_id], stack.drivers[abi_id]

        # Products made in both shops (one article number in both), exported to Specter.
        await woo.create_product("Q-1", price="100.00", stock=20)
        await abi.create_product("Q-1", price="100.00", stock=20)
        await woo.create_product("W-1", price="50.00", stock=8)
        await woo.create_product("TROJA", name="Tröja", price="200.00", stock=4, variants=["TROJA-S", "TROJA-M"])
        await abi.create_product("A-1", price="80.00", stock=6)
        await stack.specter_control("POST", "articles", {"articleNo": "IMP-1", "name": "Bara i Specter",
                                                         "priceExclVat": "30.00", "stock": {"1": 3}})
        await stack.settle_all()

        # Orders in both shops; the shops' admins edit products.
        woo_order = await woo.place_order([("Q-1", 2), ("TROJA-S", 1)])
        await abi.place_order([("A-1", 1), ("Q-1", 1)])
        await woo.update_product((await woo.product("W-1")).id, price="55.00")
        await abi.update_product((await abi.product("A-1")).id, name="Abi-vara")
        await stack.settle_all()

        # In Specter: a rename, a new price and VAT, stock changes, a delivery with tracking.
        await stack.specter_control("PATCH", "articles/Q-1", {"name": "Kvalitetsvara", "priceExclVat": "110.00",
                                                              "vatPercent": "12"})
        await stack.specter_control("POST", "stock", [{"articleNo": "Q-1", "site": "1", "inStock": 40},
                                                      {"articleNo": "W-1", "site": "1", "inStock": 9}])
        sent = next(o for o in stack.sim.orders.values()
                    if o.external_order_no == stack.external_order_no(woo_id, woo_order.number))
        await stack.specter_control("POST", f"orders/{sent.order_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()

        # The second shop imports Specter's articles.
        status, body = await stack.admin("PATCH", f"/tenants/{abi_id}", {"settings": {"import_products": True}})
        assert status == 200, body
        status, body = await stack.admin("POST", f"/tenants/{abi_id}/import")
        assert status == 202, body
        await stack.settle_all()
        assert await abi.product("IMP-1") is not None
        assert (await woo.order(woo_order.id)).tracking == "PN123SE"

        # Settled: now three poll intervals, with every write counted.
        specter_before = await specter_writes(stack)
        shops_before = {t: await d.writes() for t, d in stack.drivers.items()}
        polled = await polls(stack)
        await asyncio.sleep(3 * POLL_SECONDS)
        await wait_for(lambda: _polled_since(stack, polled), 10, "the gateway to poll during the window")
        await stack.settle_all()

        written = {f"Specter {action}": n for action, n in (await specter_writes(stack) - specter_before).items()}
        for tenant_id, driver in stack.drivers.items():
            for request in (await driver.writes())[len(shops_before[tenant_id]):]:
                written[f"{tenant_id} {request}"] = written.get(f"{tenant_id} {request}", 0) + 1
        assert written == {}, f"writes after both sides had settled: {written}"


async def _polled_since(stack: Stack, before: int) -> bool:
    return await polls(stack) >= before + 2
