"""Specter's duplicate check on externalOrderNo, end to end: its answer is adopted as "this
order, whose earlier answer was lost" only when the gateway itself sent this order with that
number and the same content before."""

from __future__ import annotations

from decimal import Decimal

from gateway.model import Customer
from gateway.settings import SpecterAccount
from gateway.specter.client import SpecterClient
from gateway.specter.documents import SpecterOrder, SpecterOrderRow
from tests.databases import both_databases
from tests.stack import SBM_ID, Stack, running_stack


async def submit_as_an_earlier_connector(stack: Stack, external_order_no: str) -> None:
    """An order entered by the connector the shop used before the gateway, with the same number."""
    account = SpecterAccount(id="acct", sbm_id=SBM_ID, api_user_id="api-user", user_key="user-key-1",
                             integration_key="integration-key-1", base_url=stack.specter.url)
    client = SpecterClient(account)
    try:
        customer_id = await client.submit_customer(
            Customer(first_name="Bo", last_name="Ek", email="bo@example.se"),
            ignore_control_email=False, ignore_control_org_no=False)
        await client.submit_order(SpecterOrder(
            customer_id=customer_id, external_order_no=external_order_no, currency="SEK", language="sv",
            customer_reference="earlier", send_order_mail=False, send_order_mail_to_user=False,
            rows=[SpecterOrderRow(article_no="TS-1", name="Earlier", price_ex_vat=Decimal(10),
                                  quantity=Decimal(1), vat_percent=Decimal(25))]))
    finally:
        await client.close()


@both_databases
async def test_an_order_whose_number_another_order_holds_in_specter_is_not_adopted(tmp_path, database):
    async with running_stack(tmp_path, order_export="manual", database_url=database.url) as stack:
        tenant = stack.tenant_id
        await stack.driver.create_product("TS-1")
        order = await stack.driver.place_order([("TS-1", 1)])
        await stack.settle()
        await submit_as_an_earlier_connector(stack, order.number)
        [foreign] = stack.sim.orders.values()

        assert (await stack.admin("POST", f"/tenants/{tenant}/orders/{order.id}/export"))[0] == 202
        events = await stack.settle()

        [dead] = [e for e in events if e.kind == "shop.order" and e.status == "dead"]
        assert f"another order holds externalOrderNo {order.number} in Specter" in (dead.last_error or "")
        assert list(stack.sim.orders.values()) == [foreign]
        assert (await stack.driver.order(order.id)).specter_order_no == ""
        assert await stack.gw.store.get_binding(tenant, "order", order.id) is None
