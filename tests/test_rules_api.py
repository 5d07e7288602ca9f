"""A tenant's rules over the admin API and the CLI: saved in versions with who and when, a
mistake refused with the rule and field named and nothing stored, a preview that shows before
and after side by side and sends nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.shops import Buyer
from tests.stack import running_stack

B2B = {"name": "b2b-stock-site", "flow": "order_to_specter",
       "when": {"field": "customer.is_company", "op": "equals", "value": True},
       "actions": [{"do": "set", "field": "stock_site_id", "value": "2"}]}


async def test_saving_checking_and_the_history_of_a_tenants_rules(tmp_path):
    async with running_stack(tmp_path) as stack:
        path = f"/tenants/{stack.tenant_id}/rules"
        assert await stack.admin("GET", path) == (200, {"tenant_id": stack.tenant_id, "version": 0, "rules": [],
                                                        "saved_by": "", "saved_at": None, "changes": []})
        bad = B2B | {"when": {"field": "customer.group", "op": "equals", "value": "b2b"}}
        status, body = await stack.admin("PUT", path, {"rules": [bad]})
        assert status == 422
        assert "rule 'b2b-stock-site'" in body["error"] and "no field 'customer.group'" in body["error"]
        assert body["field"] == "$.rules[0].when.field"
        assert (await stack.admin("GET", path))[1]["version"] == 0  # nothing half-stored

        status, body = await stack.admin("PUT", path, {"rules": [B2B]})
        assert status == 200, body
        assert (body["version"], body["saved_by"], body["changes"]) == (1, "admin API", ["added b2b-stock-site"])
        # An edit of version 0 made by someone who never saw version 1 is refused.
        status, body = await stack.admin("PUT", path + "?version=0", {"rules": []})
        assert status == 409 and "saved by someone else" in body["error"]
        status, body = await stack.admin("PUT", path + "?version=1", {"rules": []})
        assert (status, body["version"], body["changes"]) == (200, 2, ["removed b2b-stock-site"])
        status, history = await stack.admin("GET", path + "/history")
        assert [(v["version"], v["changes"]) for v in history] == [(2, ["removed b2b-stock-site"]),
                                                                    (1, ["added b2b-stock-site"])]
        assert history[1]["rules"][0]["name"] == "b2b-stock-site"
        status, catalogue = await stack.admin("GET", "/rules/catalogue")
        assert status == 200 and any(e["rule"]["name"] == "b2b-stock-site" for e in catalogue)


async def test_a_preview_shows_before_and_after_side_by_side_and_sends_nothing(tmp_path):
    async with running_stack(tmp_path) as stack:
        shop = stack.driver
        await shop.create_product("TS-1")
        company = await shop.place_order([("TS-1", 1)], buyer=Buyer(email="inkop@acme.se", company="Acme AB"))
        person = await shop.place_order([("TS-1", 1)])
        await stack.settle()
        writes, specter_calls = await shop.writes(), dict(stack.specter.state.request_counts)
        orders, articles = dict(stack.sim.orders), dict(stack.sim.articles)

        draft = {"rules": [B2B, {"name": "prefix", "flow": "article_to_specter",
                                 "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]}]}
        status, body = await stack.admin("POST", f"/tenants/{stack.tenant_id}/rules/preview?limit=5", draft)
        assert status == 200, body

        compared = {(o["kind"], o["shop_id"]): o for o in body["objects"]}
        b2b = compared[("order", company.id)]
        assert b2b["before"]["sent"]["stock_site_id"] == "" and b2b["after"]["sent"]["stock_site_id"] == "2"
        assert (b2b["changed"], b2b["after"]["rules"]) == (True, ["b2b-stock-site"])
        assert compared[("order", person.id)]["changed"] is False
        [article] = [o for o in body["objects"] if o["kind"] == "article"]
        assert (article["before"]["sent"]["article_no"], article["after"]["sent"]["article_no"]) == ("TS-1", "W-TS-1")

        assert await shop.writes() == writes, "the preview wrote to the shop"
        assert dict(stack.specter.state.request_counts) == specter_calls, "the preview called Specter"
        assert (stack.sim.orders, stack.sim.articles) == (orders, articles)
        assert (await stack.admin("GET", f"/tenants/{stack.tenant_id}/rules"))[1]["version"] == 0  # not saved


def test_the_cli_saves_a_toml_file_prints_it_as_json_and_refuses_a_mistake(tmp_path):
    import os

    from cryptography.fernet import Fernet

    env = os.environ | {"SPECTER_GATEWAY_DATA_DIR": str(tmp_path / "data"),
                        "SPECTER_GATEWAY_SECRET_KEY": Fernet.generate_key().decode()}

    def cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                              input=input, timeout=60)

    assert cli("account", "add", "acme", "--set", "sbm_id=4711", "--set", "api_user_id=u1", "--set", "user_key=uk",
               "--set", "integration_key=-", input="ik\n").returncode == 0
    done = cli("tenant", "add", "shop1", "--platform", "woocommerce", "--account", "acme",
               "--shop", "url=https://shop1.example.se/", "--shop", "consumer_key=ck_1",
               "--shop", "consumer_secret=cs-1")
    assert done.returncode == 0, done.stderr
    (tmp_path / "rules.toml").write_text(
        '[[rules]]\nname = "skip-invoice"\nflow = "order_to_specter"\n'
        'when = { field = "payment.method", op = "equals", value = "invoice" }\n'
        'actions = [{ do = "skip", reason = "booked by hand" }]\n')
    done = cli("rules", "shop1", "set", str(tmp_path / "rules.toml"))
    assert done.returncode == 0, done.stderr
    assert "saved version 1 of the rules of shop1: added skip-invoice" in done.stdout
    got = json.loads(cli("rules", "shop1", "get").stdout)
    assert got["rules"][0]["actions"] == [{"do": "skip", "reason": "booked by hand"}]

    (tmp_path / "bad.json").write_text(json.dumps({"rules": [{"name": "x", "flow": "order_to_specter",
                                                              "actions": [{"do": "rewrite_article_no",
                                                                           "prefix": "W/"}]}]}))
    done = cli("rules", "shop1", "set", str(tmp_path / "bad.json"))
    assert done.returncode == 2
    assert "rule 'x'" in done.stderr and "$.rules[0].actions[0].prefix" in done.stderr
    assert json.loads(cli("rules", "shop1", "get").stdout) == got  # the mistake stored nothing
