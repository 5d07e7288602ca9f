"""Finding an order and reading its story over the JSON admin API, end to end: fake shops ->
gateway -> Specter simulator on loopback, as a support person on a bad day would ask."""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import quote

from tests.shops.base import Buyer
from tests.stack import Stack, running_stack, wait_for


async def _find(stack: Stack, q: str, **params: str) -> list[dict]:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"q": q, **params}.items())
    status, body = await stack.admin("GET", f"/search?{query}")
    assert status == 200, body
    return body["results"]


def _specter_order_no(stack: Stack, external_no: str) -> str:
    return next(o.order_no for o in stack.sim.orders.values() if o.external_order_no == external_no)


def _titles(story: dict) -> list[str]:
    return [entry["title"] for entry in story["entries"]]


async def test_an_order_is_found_by_e_mail_number_or_specters_number_and_its_story_told(tmp_path):
    async with running_stack(tmp_path, order_status_map={"delivered": "completed"}) as stack:
        await stack.driver.create_product("TS-1", stock=20)
        await stack.specter_control("POST", "articles", {"articleNo": "TS-1", "name": "Artikel TS-1",
                                                         "priceExclVat": "100.00", "stock": {"1": 20}})
        await stack.settle_all()
        placed = await stack.driver.place_order([("TS-1", 2)], buyer=Buyer(email="Kund@Example.se"))
        await stack.settle_all()
        specter_no = _specter_order_no(stack, placed.number)

        [hit] = await _find(stack, "kund@example.SE")
        assert (hit["tenant_id"], hit["kind"], hit["id"]) == ("woo1", "order", placed.id)
        assert hit["email"] == "Kund@Example.se" and hit["specter_order_no"] == specter_no
        assert hit["state"] == "in Specter"
        assert [m["field"] for m in (await _find(stack, specter_no))[0]["matched"]] == ["specter_no"]
        assert any(f["id"] == placed.id and f["kind"] == "order" for f in await _find(stack, placed.number))
        by_article = await _find(stack, "ts-1")
        assert {(f["kind"], f["id"]) for f in by_article} >= {("order", placed.id), ("article", "TS-1")}

        await stack.specter_control("POST", f"orders/{specter_no}/deliver", {"trackingNo": "PN123SE"})
        await stack.settle_all()
        status, story = await stack.admin("GET", f"/tenants/woo1/orders/{placed.id}")
        assert status == 200, story
        assert story["specter_order_no"] == specter_no and story["in_specter"] == "bound"
        assert story["external_order_no"] == placed.number
        titles = _titles(story)
        assert titles[0] == "The shop's webhook: order created"  # what brought it, first
        sent = next(e for e in story["entries"] if e["title"] == "Attempt 1: done")
        assert f"in Specter as order {specter_no}" in sent["detail"]
        assert f"Specter's order number {specter_no} written to the shop" in titles
        delivered = next(e for e in story["entries"] if e["title"] == "Specter: delivered")
        assert "shop status completed (set)" in delivered["detail"]
        assert "tracking numbers PN123SE (added: PN123SE)" in delivered["detail"]
        times = [e["at"] for e in story["entries"]]
        assert times == sorted(times) and titles.index("Attempt 1: done") < titles.index("Specter: delivered")
        assert story["articles"] == [{"article_no": "TS-1", "specter_level": 18, "written_level": 18}]

        status, article = await stack.admin("GET", "/tenants/woo1/articles/TS-1")
        assert status == 200, article
        assert article["orders"] == [placed.id] and article["shop_level"] == 18
        assert article["specter"]["name"] == "Artikel TS-1" and article["in_shop"][0]["tenant_id"] == "woo1"
        assert article["drift"] is None  # no reconciler has reported


async def test_each_attempt_is_told_with_its_reason_and_transfer_again_starts_anew(tmp_path):
    async with running_stack(tmp_path) as stack:
        await stack.driver.create_product("TS-1", stock=20)
        await stack.settle()
        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "a-wrong-key"})
        placed = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        status, story = await stack.admin("GET", f"/tenants/woo1/orders/{placed.id}")
        *_, failed = (e for e in story["entries"] if e["kind"] == "attempt")  # the newest (created, then updated)
        assert failed["status"] == "dead" and "key" in failed["detail"]
        assert story["transfer_again"] == failed["event_id"] and story["in_specter"] != "bound"

        await stack.admin("PATCH", "/accounts/acct", {"integration_key": "integration-key-1"})
        status, body = await stack.admin("POST", f"/tenants/woo1/events/{story['transfer_again']}/retry")
        assert status == 200 and body["requeued"] == [failed["event_id"]]
        await wait_for(lambda: _in_specter(stack), 20, "the order to reach Specter")
        await stack.settle()
        status, story = await stack.admin("GET", f"/tenants/woo1/orders/{placed.id}")
        mine = [e for e in story["entries"] if e["event_id"] == failed["event_id"] and e["kind"] != "received"]
        assert [(e["title"], e["status"]) for e in mine] == [
            ("Attempt 1: failed for good", "dead"), ('"Transfer again": queued anew', ""), ("Attempt 1: done", "done")]
        assert "key" in mine[0]["detail"] and "in Specter as order" in mine[2]["detail"]
        assert story["transfer_again"] is None


async def _in_specter(stack: Stack) -> bool:
    return len(stack.sim.orders) == 1


async def test_the_search_keeps_to_the_tenant_asked_for_and_refuses_what_it_cannot_search(tmp_path):
    async with running_stack(tmp_path, shops=2) as stack:
        placed = {}
        for tenant_id in stack.tenants:
            driver = stack.drivers[tenant_id]
            await driver.create_product("TS-1", stock=20)
            placed[tenant_id] = await driver.place_order([("TS-1", 1)], buyer=Buyer(email="same@example.se"))
        await stack.settle_all()
        assert {f["tenant_id"] for f in await _find(stack, "same@example.se")} == {"woo1", "woo2"}
        assert [(f["tenant_id"], f["id"]) for f in await _find(stack, "same@example.se", tenant="woo2")] == [
            ("woo2", placed["woo2"].id)]
        assert await _find(stack, "nobody@example.se") == []
        for query, field in (("", "$.q"), ("x" * 201, "$.q")):
            status, body = await stack.admin("GET", f"/search?q={query}")
            assert status == 422 and body["field"] == field
        for limit in ("0", "201", "ten"):
            status, body = await stack.admin("GET", f"/search?q=same@example.se&limit={limit}")
            assert status == 422 and body["field"] == "$.limit", limit
        status, body = await stack.admin("GET", "/search?q=same@example.se&tenant=nobody")
        assert status == 404
        status, body = await stack.admin("GET", "/tenants/woo1/orders/999999")
        assert status == 404 and "no record of order '999999'" in body["error"]
        status, body = await stack.admin("GET", "/tenants/woo1/articles/NOPE-1")
        assert status == 404


async def test_export_order_from_the_command_line_sends_an_order_waiting_for_a_manual_export(tmp_path):
    async with running_stack(tmp_path, order_export="manual") as stack:
        await stack.driver.create_product("TS-1", stock=20)
        placed = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        assert stack.sim.orders == {}
        env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(stack.config.data_dir),
                            "SPECTER_GATEWAY_SECRET_KEY": stack.config.secret_key}
        code, out, err = await _cli(env, "export", "order", "woo1", placed.id)
        assert code == 0, err
        assert f"order {placed.id} queued for Specter as event" in out
        await wait_for(lambda: _in_specter(stack), 20, "the running gateway to send the order")  # its reconciler
        [sent] = stack.sim.orders.values()
        assert sent.external_order_no == placed.number

        code, out, err = await _cli(env, "export", "order", "woo1")
        assert code == 2 and "needs the shop's order id" in err


async def _cli(env: dict[str, str], *args: str) -> tuple[int | None, str, str]:
    """``specter-gateway`` as its own process, as a user runs it beside the running gateway."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "gateway.cli", *args, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()
