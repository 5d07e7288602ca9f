"""The gateway's cached handles follow changes made elsewhere (the CLI, another node)."""

from __future__ import annotations

import msgspec

from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant


async def test_new_specter_keys_and_shop_settings_are_used_without_a_restart(gateway_config):
    gw = await Gateway.create(gateway_config, runner="none")
    try:
        account = SpecterAccount(id="acct", sbm_id=1, api_user_id="u", user_key="k", integration_key="old-key")
        await gw.store.put_account(account)
        first = await gw.specter("acct")
        assert await gw.specter("acct") is first  # unchanged: the same client

        # Another process (specter-gateway account set …) writes new keys to the store.
        await gw.store.put_account(msgspec.structs.replace(account, integration_key="new-key"))
        second = await gw.specter("acct")
        assert second is not first and second.account.integration_key == "new-key"

        tenant = Tenant(id="shop1", platform="woocommerce", account_id="acct",
                        shop={"url": "https://a.example/", "consumer_key": "ck", "consumer_secret": "cs"})
        shop = await gw.shop(tenant)
        assert await gw.shop(msgspec.structs.replace(tenant)) is shop  # an equal copy: the same handle
        moved = msgspec.structs.replace(tenant, shop=tenant.shop | {"url": "https://b.example/"})
        assert (await gw.shop(moved)).handle.connection.url == "https://b.example/"
    finally:
        await gw.close()
