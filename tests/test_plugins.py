"""The adapter contract: adapters are found through the entry-point group, checked when the gateway
starts, documented, and a tenant's call reaches only its own adapter."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import entry_points
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import REGISTRY

from gateway import hookspecs
from gateway.adapter import InboundRequest, Platform, hookimpl
from gateway.errors import ConfigError, RejectedRequest
from gateway.plugins import ENTRY_POINT_GROUP, Adapters, make_plugin_manager
from gateway.services import Gateway
from gateway.settings import Tenant
from gateway.shop import Shop
from tests.plugins import memo_platform

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-platform.md"
BUILT_IN = ("woocommerce", "abicart", "legacy_php")
HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
               if hasattr(getattr(hookspecs, name), "specter_gateway_spec"))


def test_built_in_adapters_register_through_the_entry_point_group():
    names = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert names["woocommerce"] == "adapters.woocommerce.plugin"
    pm = make_plugin_manager()
    loaded = {name for name, _ in pm.list_name_plugin()}
    assert set(BUILT_IN) <= loaded  # registered under entry-point names


def test_unknown_platform_names_the_installed_ones():
    adapters = Adapters(make_plugin_manager())
    with pytest.raises(ConfigError, match=r"unknown shop platform 'magento' \(installed: abicart, legacy_php, woo"):
        adapters.platform("magento")


async def test_a_call_reaches_only_the_tenants_own_adapter():
    adapters = Adapters(make_plugin_manager(["tests.plugins.memo_platform"]))
    memo_platform.ASKED.clear()
    timed = {"platform": "memo", "hook": "fetch_order", "outcome": "ok"}
    before = REGISTRY.get_sample_value("specter_gateway_shop_call_seconds_count", timed) or 0
    async with aiohttp.ClientSession() as http:
        memo = Shop.open(Tenant(id="m1", platform="memo", account_id="a"), adapters.adapter("memo"), http)
        legacy = Shop.open(Tenant(id="l1", platform="legacy_php", account_id="a",
                                  shop={"url": "http://127.0.0.1:9/gateway.php", "shared_secret": "s"}),
                           adapters.adapter("legacy_php"), http)
        assert await memo.fetch_order("7") is None
        unsigned = InboundRequest(method="POST", path="/shops/l1/events", headers={}, query={}, body=b"{}")
        with pytest.raises(RejectedRequest, match="X-Specter-Signature"):  # legacy_php's own check
            legacy.decode_shop_request(unsigned)
    assert memo_platform.ASKED == [("open_shop", "m1"), ("fetch_order", "m1")]
    assert REGISTRY.get_sample_value("specter_gateway_shop_call_seconds_count", timed) == before + 1


class _Claim:
    def __init__(self, name: str):
        self.name = name

    @hookimpl
    def shop_platform(self) -> Platform:
        return Platform(name=self.name)


def test_two_plugins_claiming_one_platform_is_a_configuration_error():
    pm = make_plugin_manager()
    pm.register(_Claim("woocommerce"))
    with pytest.raises(ConfigError, match="two plugins claim the shop platform 'woocommerce'"):
        Adapters(pm)


def test_a_missing_extra_plugin_module_is_a_clear_error():
    with pytest.raises(ConfigError, match="plugin module 'no_such_module' cannot be imported"):
        make_plugin_manager(["no_such_module"])


async def test_a_misspelt_hook_stops_the_gateway_naming_the_plugin_and_the_hook(gateway_config):
    gateway_config.plugins = ["tests.plugins.misspelt_hook"]
    with pytest.raises(ConfigError) as refused:
        await Gateway.create(gateway_config, runner="none")
    assert str(refused.value) == ("plugin 'tests.plugins.misspelt_hook' implements 'fetch_ordr' (did you mean "
                                  "'fetch_order'?), which is no hook of the gateway")
    assert not gateway_config.data_dir.exists()  # refused before anything was opened


def test_a_hook_with_a_parameter_its_hook_lacks_is_refused_naming_the_plugin():
    with pytest.raises(ConfigError, match=r"plugin 'tests.plugins.wrong_parameter' does not fit the gateway's hooks: "
                                          r"(?s:.*)fetch_order(?s:.*)order_number"):
        make_plugin_manager(["tests.plugins.wrong_parameter"])


def test_a_platform_without_a_required_hook_stops_the_gateway():
    with pytest.raises(ConfigError) as refused:
        Adapters(make_plugin_manager(["tests.plugins.incomplete_platform"]))
    message = str(refused.value)
    assert message.startswith("the shop platform plugin 'tests.plugins.incomplete_platform' (platform 'half') "
                              "lacks the required hooks decode_shop_request, fetch_customer, fetch_product, ")
    assert "fetch_order" not in message and "open_shop" not in message  # those it has
    assert not any(optional in message for optional in hookspecs.OPTIONAL_HOOKS)


def test_a_shop_operation_from_a_plugin_that_names_no_platform_stops_the_gateway():
    # It would otherwise answer for every platform's tenants.
    with pytest.raises(ConfigError) as refused:
        Adapters(make_plugin_manager(["tests.plugins.stray_operation"]))
    assert str(refused.value).startswith(
        "plugin 'tests.plugins.stray_operation' implements the shop operation 'fetch_order' but names no shop platform"
    )


def test_a_plain_def_where_the_contract_says_async_def_stops_the_gateway():
    with pytest.raises(ConfigError) as refused:
        Adapters(make_plugin_manager(["tests.plugins.plain_def_platform"]))
    assert str(refused.value) == (
        "plugin 'tests.plugins.plain_def_platform': hook 'fetch_order' must be an async def, "
        "as the contract declares it"
    )


async def test_a_platform_without_optional_hooks_starts_and_says_what_it_cannot_do(gateway_config):
    gateway_config.plugins = ["tests.plugins.memo_platform"]
    gw = await Gateway.create(gateway_config, runner="none")
    try:
        memo = await gw.shop(Tenant(id="m1", platform="memo", account_id="a"))
        woo = await gw.shop(Tenant(id="w1", platform="woocommerce", account_id="a",
                                   shop={"url": "https://w.example/", "consumer_key": "ck", "consumer_secret": "cs"}))
        assert (memo.can_list_changed_orders, woo.can_list_changed_orders) == (False, True)
        await memo.close()  # nothing to release: nothing to ask
    finally:
        await gw.close()


def test_every_hook_says_whether_it_is_required_in_its_docstring():
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        expected = "Optional" if name in hookspecs.OPTIONAL_HOOKS else "Required"
        assert doc.startswith(expected), f"{name}'s docstring must begin with {expected!r}"


def test_every_hook_is_documented_for_adapter_authors_and_implemented_by_every_built_in_adapter():
    # docs/adding-a-platform.md has one heading per hook: "### `name` (required)" or "(optional)".
    documented = dict(re.findall(r"^#+ `(\w+)` \((required|optional)\)$", DOC.read_text(), re.MULTILINE))
    assert sorted(documented) == HOOKS
    for name in HOOKS:
        assert documented[name] == ("optional" if name in hookspecs.OPTIONAL_HOOKS else "required"), name

    pm = make_plugin_manager()
    for platform in BUILT_IN:
        plugin = pm.get_plugin(platform)
        implemented = {impl.function.__name__ for name in HOOKS for impl in getattr(pm.hook, name).get_hookimpls()
                       if impl.plugin is plugin}
        assert set(HOOKS) - hookspecs.OPTIONAL_HOOKS <= implemented, platform
