"""Settings typed on the command line behave: each value is read as its setting's type, a map's
entries are merged with the defaults unless the whole map is replaced on purpose, and
``poll TENANT`` asks the shop and Specter now."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from gateway.settings import DEFAULT_PAYMENT_TYPES
from tests.cli_process import run_cli
from tests.shops.woocommerce import order_payload, product_fields, woocommerce
from tests.stack import running_stack, wait_for


@pytest.fixture
def cli(tmp_path):
    """``specter-gateway`` as a user runs it, on the test's own data dir."""
    env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(tmp_path / "data"),
                        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode()}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    return run


@pytest.fixture
def shop(cli):
    done = cli("account", "add", "acme", "--set", "sbm_id=4711", "--set", "api_user_id=u1", "--set", "user_key=uk",
               "--set", "integration_key=ik")
    assert done.returncode == 0, done.stderr

    def add(*settings: str):
        return cli("tenant", "add", "shop1", "--platform", "woocommerce", "--account", "acme",
                   "--shop", "url=https://shop1.example.se/", "--shop", "consumer_key=ck_1",
                   "--shop", "consumer_secret=cs_1", *settings)

    return add


def _settings(cli) -> dict:
    return json.loads(cli("tenant", "show", "shop1").stdout)["settings"]


def test_a_number_typed_for_a_text_setting_stays_text(cli, shop):
    done = shop("--setting", "webshop_id=2", "--setting", "stock_site_id=007", "--setting", "send_order_mail=yes")
    assert done.returncode == 0, done.stderr
    settings = _settings(cli)
    assert settings["webshop_id"] == "2" and settings["stock_site_id"] == "007"
    assert settings["send_order_mail"] is True

    done = cli("tenant", "set", "shop1", "--setting", "stock_sites=1, 3", "--setting", "send_order_mail=off",
               "--setting", "external_order_prefix=12")
    assert done.returncode == 0, done.stderr
    settings = _settings(cli)
    assert settings["stock_sites"] == ["1", "3"] and settings["send_order_mail"] is False
    assert settings["external_order_prefix"] == "12"


@pytest.mark.parametrize("setting, message", [
    ("send_order_mail=maybe", "send_order_mail is true or false, not 'maybe'"),
    ("send_ordr_mail=true", "there is no setting 'send_ordr_mail' (did you mean send_order_mail?)"),
    ("webshop_id.x=1", "webshop_id is not a map: set it as webshop_id=VALUE"),
    ("payment_types=swish", "payment_types takes key=value pairs separated by commas, not 'swish'"),
])
def test_a_value_that_is_no_such_setting_is_refused_by_name(cli, shop, setting, message):
    done = shop("--setting", setting)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert cli("tenant", "show", "shop1").returncode == 2  # nothing half-stored


def test_one_entry_of_a_map_is_merged_with_the_defaults(cli, shop):
    assert shop("--setting", "payment_types.swish_handel=SW").returncode == 0
    assert _settings(cli)["payment_types"] == DEFAULT_PAYMENT_TYPES | {"swish_handel": "SW"}

    done = cli("tenant", "set", "shop1", "--setting", "payment_types=billmate=BC,kco=K",
               "--setting", "payment_types.paypal=", "--setting", "delivery_methods.flat_rate=PN")
    assert done.returncode == 0, done.stderr
    settings = _settings(cli)
    expected = {k: v for k, v in DEFAULT_PAYMENT_TYPES.items() if k != "paypal"}
    assert settings["payment_types"] == expected | {"swish_handel": "SW", "billmate": "BC", "kco": "K"}
    assert settings["delivery_methods"] == {"flat_rate": "PN"}
    assert settings["order_status_map"] == {"delivered": "completed", "deleted": "cancelled", "removed": "cancelled"}


def test_a_whole_map_is_replaced_only_on_purpose(cli, shop):
    assert shop("--replace-setting", 'payment_types={"klarna_payments": "K"}').returncode == 0
    assert _settings(cli)["payment_types"] == {"klarna_payments": "K"}

    done = cli("tenant", "set", "shop1", "--replace-setting", "order_status_map=delivered=completed")
    assert done.returncode == 0, done.stderr
    assert _settings(cli)["order_status_map"] == {"delivered": "completed"}

    refused = cli("tenant", "set", "shop1", "--replace-setting", "webshop_id=3")
    assert refused.returncode == 2 and "--replace-setting is for maps" in refused.stderr


async def test_poll_asks_the_shop_now_for_an_order_whose_webhook_never_came(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = woocommerce(stack.driver)
        product = await shop.control("POST", "products", product_fields("TS-1"))
        await stack.settle()
        for hook in shop.fake.state.webhooks.values():  # the shop stopped telling the gateway
            await shop.rest.update_webhook(hook.id, {"status": "paused"})
        placed = await shop.checkout(order_payload([(product["id"], 1)]))
        await stack.settle()
        assert stack.sim.orders == {}

        polled = await run_cli(stack.config, "poll", stack.tenant_id)
        assert polled.returncode == 0, polled.stderr
        assert f"shop.order\torder:{placed['id']}" in polled.stdout
        assert "webhook\torder.created\tactive\tre-activated" in polled.stdout
        for kind in ("specter.stock", "specter.article", "specter.order"):
            assert kind in polled.stdout
        await wait_for(lambda: _orders(stack, 1), 20, "the order to reach Specter")
        [order] = stack.sim.orders.values()
        assert order.external_order_no == str(placed["number"])


async def test_poll_of_a_disabled_tenant_says_why_it_asks_nothing(tmp_path):
    async with running_stack(tmp_path) as stack:
        await stack.admin("PATCH", f"/tenants/{stack.tenant_id}", {"enabled": False})
        polled = await run_cli(stack.config, "poll", stack.tenant_id)
        assert polled.returncode == 2
        assert f"tenant set {stack.tenant_id} --enabled yes" in polled.stderr


async def _orders(stack, count: int) -> bool:
    return len(stack.sim.orders) == count
