"""The console's search and order pages keep a tenant's user to that tenant: two shops on one
Specter account, one customer who bought in both, and the second shop's owner signed in."""

from __future__ import annotations

from tests.console_client import Console, add_user, console_session
from tests.shops.base import Buyer
from tests.stack import running_stack


async def test_a_tenant_user_finds_only_its_own_tenants_orders(tmp_path):
    async with running_stack(tmp_path, shops=2) as stack, console_session() as http:
        placed = {}
        for tenant_id in stack.tenants:
            await stack.drivers[tenant_id].create_product("TS-1", stock=20)
            placed[tenant_id] = await stack.drivers[tenant_id].place_order(
                [("TS-1", 1)], buyer=Buyer(email="same@example.se"))
        await stack.settle_all()
        await add_user(stack.gw, "owner", tenant_id="woo2")
        await add_user(stack.gw, "support")

        owner = Console(stack.gateway.url, http)
        assert await owner.sign_in("owner") == 200
        for query in ("?q=same@example.se", "?q=same@example.se&tenant=woo1", "?q=ts-1"):
            status, page = await owner.get("/admin/search" + query)
            assert status == 200 and f"/admin/tenants/woo2/orders/{placed['woo2'].id}" in page, query
            assert "woo1" not in page, query
        woo1_order = placed["woo1"].id
        for path in (f"/admin/tenants/woo1/orders/{woo1_order}", f"/admin/tenants/woo1/orders/{woo1_order}/story",
                     "/admin/tenants/woo1/articles/TS-1"):
            status, _ = await owner.get(path)
            assert status == 404, path
        status, _, _ = await owner.post(f"/admin/tenants/woo1/orders/{woo1_order}/export", {})
        assert status == 404
        status, page = await owner.get("/admin/tenants/woo2/articles/TS-1")
        assert status == 200 and "woo1" not in page  # another shop on the account is not named

        async with console_session() as admin_http:
            support = Console(stack.gateway.url, admin_http)
            assert await support.sign_in("support") == 200
            status, page = await support.get("/admin/search?q=same@example.se")
            assert all(f"/admin/tenants/{t}/orders/{placed[t].id}" in page for t in ("woo1", "woo2"))
            status, page = await support.get("/admin/search?q=same@example.se&tenant=woo1")
            assert "/admin/tenants/woo2/" not in page and f"/admin/tenants/woo1/orders/{woo1_order}" in page
            status, page = await support.get("/admin/search?q=" + "x" * 201)
            assert status == 422 and "longer than 200 characters" in page
