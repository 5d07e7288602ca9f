"""Adapters are found through the entry-point group, and a tenant's call reaches only its own."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from gateway.adapter import Platform, hookimpl
from gateway.errors import ConfigError
from gateway.plugins import ENTRY_POINT_GROUP, Adapters, make_plugin_manager


def test_built_in_adapters_register_through_the_entry_point_group():
    names = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert names["woocommerce"] == "adapters.woocommerce.plugin"
    pm = make_plugin_manager()
    loaded = {name for name, _ in pm.list_name_plugin()}
    assert {"woocommerce", "abicart", "legacy_php"} <= loaded  # registered under entry-point names


def test_unknown_platform_names_the_installed_ones():
    adapters = Adapters(make_plugin_manager())
    with pytest.raises(ConfigError, match=r"unknown shop platform 'magento' \(installed: abicart, legacy_php, woocommerce\)"):
        adapters.platform("magento")


class _Fake:
    def __init__(self, name):
        self.name = name
        self.calls = []

    @hookimpl
    def shop_platform(self):
        return Platform(name=self.name)

    @hookimpl
    async def fetch_order(self, shop, order_id):
        # async def: the coroutine is the answer, so only one adapter may be asked.
        self.calls.append(order_id)
        return f"{self.name}:{order_id}"


async def test_a_call_reaches_only_the_tenants_own_adapter():
    pm = make_plugin_manager()
    one, two = _Fake("one"), _Fake("two")
    pm.register(one)
    pm.register(two)
    adapters = Adapters(pm)
    assert await adapters.call("two", "fetch_order", shop=None, order_id="7") == "two:7"
    assert await adapters.call("one", "fetch_order", shop=None, order_id="8") == "one:8"
    assert one.calls == ["8"] and two.calls == ["7"]


def test_two_plugins_claiming_one_platform_is_a_configuration_error():
    pm = make_plugin_manager()
    pm.register(_Fake("woocommerce"))
    with pytest.raises(ConfigError, match="two plugins claim the shop platform 'woocommerce'"):
        Adapters(pm)


def test_a_missing_extra_plugin_module_is_a_clear_error():
    with pytest.raises(ConfigError, match="plugin module 'no_such_module' cannot be imported"):
        make_plugin_manager(["no_such_module"])
