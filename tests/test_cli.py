"""The ``specter-gateway`` command, run as a user runs it: a separate process on one data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from cryptography.fernet import Fernet

from tests.gateway_process import free_port


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A user's environment, with the gateway's data in the test's directory."""
    return os.environ | {
        "SPECTER_GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode(),
    }


@pytest.fixture
def cli(env):
    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                              input=input, timeout=60)

    return run


def add_account(cli):
    done = cli("account", "add", "acme", "--set", "sbm_id=4711", "--set", "api_user_id=u1",
               "--set", "user_key=uk-SECRET", "--set", "integration_key=-", input="ik-SECRET\n")
    assert done.returncode == 0, done.stderr
    return done


def test_tenant_add_list_show_set_remove(cli):
    shown = json.loads(add_account(cli).stdout)
    assert shown["user_key"] == "********" and shown["integration_key"] == "********"

    done = cli("tenant", "add", "shop1", "--platform", "woocommerce", "--account", "acme",
               "--shop", "url=https://shop1.example.se/", "--shop", "consumer_key=ck_1",
               "--shop", "consumer_secret=cs-SECRET", "--setting", "include_zero_shipping=true")
    assert done.returncode == 0, done.stderr
    assert "cs-SECRET" not in done.stdout + done.stderr
    assert "/shops/shop1/events" in done.stderr

    listed = cli("tenant", "list")
    assert listed.returncode == 0 and "shop1\twoocommerce\taccount acme\tenabled" in listed.stdout

    done = cli("tenant", "set", "shop1", "--setting", "order_export=manual", "--enabled", "no")
    assert done.returncode == 0, done.stderr
    shown = json.loads(cli("tenant", "show", "shop1").stdout)
    assert shown["settings"]["order_export"] == "manual"
    assert shown["settings"]["include_zero_shipping"] is True
    assert shown["enabled"] is False
    assert shown["shop"]["consumer_secret"] == "********"

    assert cli("tenant", "remove", "shop1").returncode == 0
    gone = cli("tenant", "show", "shop1")
    assert gone.returncode == 2 and "unknown tenant 'shop1'" in gone.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--platform", "magento", "--account", "acme"], "unknown shop platform 'magento'"),
        (["--platform", "woocommerce", "--account", "other", "--shop", "url=https://x/", "--shop", "consumer_key=k",
          "--shop", "consumer_secret=s"], "unknown Specter account 'other'"),
        (["--platform", "woocommerce", "--account", "acme", "--shop", "url=https://x/"], "consumer_key"),
        (["--platform", "woocommerce", "--account", "acme", "--shop", "url=https://x/", "--shop", "consumer_key=k",
          "--shop", "consumer_secret=s", "--setting", "order_export=weekly"], "$.settings.order_export"),
        (["--platform", "woocommerce", "--account", "acme", "--setting", "oops"], "KEY=VALUE"),
    ],
)
def test_bad_tenant_input_is_a_clear_error(cli, args, message):
    add_account(cli)
    done = cli("tenant", "add", "shop2", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert cli("tenant", "list").stdout == ""


def test_shops_sharing_an_account_need_order_prefixes_that_cannot_collide(cli):
    add_account(cli)
    shop = ["--platform", "woocommerce", "--account", "acme", "--shop", "url=https://x/", "--shop", "consumer_key=k",
            "--shop", "consumer_secret=s"]
    assert cli("tenant", "add", "shop1", *shop).returncode == 0

    refused = cli("tenant", "add", "shop2", *shop)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "tenant 'shop2' shares Specter account 'acme' with tenant 'shop1'" in refused.stderr
    assert "external_order_prefix=SHOP2- for 'shop2' and external_order_prefix=SHOP1- for 'shop1'" in refused.stderr
    refused = cli("tenant", "add", "shop2", *shop, "--setting", "external_order_prefix=S2-")
    assert refused.returncode == 2 and "prefixes 'S2-' and ''" in refused.stderr  # '' starts every prefix
    assert cli("tenant", "list").stdout.count("\n") == 1

    assert cli("tenant", "set", "shop1", "--setting", "external_order_prefix=S-").returncode == 0
    refused = cli("tenant", "add", "shop2", *shop, "--setting", "external_order_prefix=S")
    assert refused.returncode == 2 and "prefixes 'S' and 'S-'" in refused.stderr
    assert cli("tenant", "add", "shop2", *shop, "--setting", "external_order_prefix=S2-").returncode == 0

    refused = cli("tenant", "set", "shop2", "--setting", "external_order_prefix=S-2")
    assert refused.returncode == 2 and "with tenant 'shop1'" in refused.stderr
    assert json.loads(cli("tenant", "show", "shop2").stdout)["settings"]["external_order_prefix"] == "S2-"
    assert cli("tenant", "set", "shop2", "--enabled", "no").returncode == 0  # other changes are not held up


def test_platforms_come_from_entry_points(cli):
    done = cli("platforms")
    assert done.returncode == 0
    names = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert names == ["abicart", "legacy_php", "woocommerce"]


def test_worker_without_redis_says_what_is_missing(cli):
    done = cli("worker")
    assert done.returncode == 2 and "SPECTER_GATEWAY_REDIS_URL" in done.stderr


def _answer(request: urllib.request.Request, server: subprocess.Popen) -> tuple[int, bytes]:
    """The simulator's answer, once it listens (within 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        assert server.poll() is None, server.communicate()[1]
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("platform, options, path, body, answer", [
    ("woocommerce", ["--consumer-key", "ck_demo"], "wp-json/wc/v3/products", None,
     b'"code":"woocommerce_rest_cannot_view"'),  # its REST API, refusing the unauthenticated
    ("woocommerce", [], "_control/state", None, b'"products": []'),
    ("abicart", ["--webshop", "5", "--auth-token", "t0ken"], "backend/jsonrpc/v1/?webshop=5&auth=t0ken",
     {"jsonrpc": "2.0", "id": 1, "method": "Article.list", "params": []}, b'"result":[]'),
])
def test_simulate_runs_a_platforms_fake_shop(env, platform, options, path, body, answer):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gateway.cli", "simulate", platform, "--port", str(port),
                               *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        data = None if body is None else json.dumps(body).encode()
        status, text = _answer(urllib.request.Request(f"http://127.0.0.1:{port}/{path}", data=data), server)
        assert status < 500 and answer in text, (status, text)
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.mark.parametrize("platform, message", [
    ("magento", "nothing to simulate called 'magento' (simulators: specter, abicart, woocommerce)"),
    ("legacy_php", "the shop platform 'legacy_php' has no simulator"),
])
def test_simulate_names_what_it_can_run(cli, platform, message):
    done = cli("simulate", platform)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_simulate_passes_on_a_simulators_own_options(cli):
    done = cli("simulate", "abicart", "--help")
    assert done.returncode == 0 and "--auth-token" in done.stdout and "--host" in done.stdout
    done = cli("simulate", "specter")
    assert done.returncode == 2 and "--account" in done.stderr
