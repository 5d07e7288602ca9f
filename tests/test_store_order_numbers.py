"""The store's claim on an externalOrderNo before an order is sent: one per Specter account."""

from __future__ import annotations

from cryptography.fernet import Fernet

from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import Binding
from tests.databases import Database, both_databases


def order(tenant_id: str, shop_id: str, external_no: str, **fields: str) -> Binding:
    return Binding(tenant_id=tenant_id, account_id="acme-specter", kind="order", shop_id=shop_id,
                   external_no=external_no, **fields)


@both_databases
async def test_an_order_number_another_order_on_the_account_holds_is_refused(database: Database) -> None:
    store = database.store(Fernet.generate_key())
    await store.open()
    try:
        await store.put_account(SpecterAccount(id="acme-specter", sbm_id=4711, api_user_id="api-user",
                                               user_key="uk-0123", integration_key="ik-4567"))
        for tenant_id in ("shop1", "shop2"):
            await store.put_tenant(Tenant(id=tenant_id, name=tenant_id, platform="woocommerce",
                                          account_id="acme-specter", shop={"url": "https://shop.example"}))
        # Bound before prefixes were enforced (an upgrade carries such pairs over).
        await store.put_bindings([order("shop1", "20", "20", specter_id="5001")])

        holder = await store.begin_order(order("shop2", "20", "20", to_specter_fp="fp"))
        assert holder is not None and (holder.tenant_id, holder.shop_id) == ("shop1", "20")
        assert await store.get_binding("shop2", "order", "20") is None

        # The order that holds the number may send it again; a fresh number is claimed.
        assert await store.begin_order(order("shop1", "20", "20", to_specter_fp="fp")) is None
        assert await store.begin_order(order("shop2", "20", "S2-20", to_specter_fp="fp2")) is None
        claimed = await store.get_binding("shop2", "order", "20")
        assert claimed is not None
        assert (claimed.state, claimed.external_no, claimed.to_specter_fp) == ("sending", "S2-20", "fp2")
    finally:
        await store.close()
