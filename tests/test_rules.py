"""The rule language on its own: each condition and action on the domain objects, the checks
made when a rule set is saved, the catalogue, and TOML files."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gateway.model import (
    Address,
    Article,
    ArticleGroup,
    Customer,
    Order,
    OrderStatusUpdate,
    Payment,
    PaymentFeeRow,
    ProductRow,
    ShippingRow,
    StockLevel,
)
from gateway.rules.catalogue import CATALOGUE, rules_of
from gateway.rules.check import RuleProblem, load
from gateway.rules.files import dump, parse
from gateway.rules.language import RuleSet, changes_between
from gateway.rules.run import Compiled

VAT = Decimal(25)


def order(**changes: Any) -> Order:
    base: dict[str, Any] = dict(
        shop_id="7", number="1007", state="processing", customer_note="Ring på dörren",
        customer=Customer(email="a@b.se", company="", address=Address(country_code="SE")),
        billing=Address(country_code="SE"), payment=Payment(method="klarna"),
        rows=[ProductRow(article_no="TS-1", quantity=Decimal(2), unit_price_ex_vat=Decimal(100), vat_percent=VAT),
              ProductRow(article_no="SAMPLE-1", unit_price_ex_vat=Decimal(0), vat_percent=VAT),
              ShippingRow(name="PostNord", unit_price_ex_vat=Decimal(40), vat_percent=VAT, method_id="flat_rate")])
    return Order(**(base | changes))


def run(rule: dict[str, Any], obj: Any) -> Any:
    return Compiled(load({"rules": [rule]})).run(rule["flow"], obj)


def when(condition: dict[str, Any], obj: Any = None, flow: str = "order_to_specter") -> bool:
    ran = run({"name": "r", "flow": flow, "when": condition, "actions": [{"do": "skip", "reason": "hit"}]},
              obj if obj is not None else order())
    return ran.skipped is not None


@pytest.mark.parametrize(("condition", "holds"), [
    ({"field": "payment.method", "op": "equals", "value": "klarna"}, True),
    ({"field": "payment.method", "op": "not_equals", "value": "klarna"}, False),
    ({"field": "country", "op": "in", "value": ["NO", "SE"]}, True),
    ({"field": "country", "op": "in", "value": ["NO", "DK"]}, False),
    ({"field": "customer_note", "op": "contains", "value": "dörren"}, True),
    ({"field": "article_nos", "op": "contains", "value": "TS-1"}, True),
    ({"field": "article_nos", "op": "contains", "value": "TS"}, False),
    ({"field": "customer.email", "op": "matches", "value": r"@b\.se$"}, True),
    ({"field": "total", "op": "gt", "value": 299}, True),  # 2 x 100 + 40, plus 25 % VAT: 300
    ({"field": "total", "op": "gt", "value": "300"}, False),
    ({"field": "total", "op": "gte", "value": 300}, True),
    ({"field": "total", "op": "lt", "value": 300}, False),
    ({"field": "total", "op": "lte", "value": "300.00"}, True),
    ({"field": "customer.company", "op": "empty"}, True),
    ({"field": "customer.is_company", "op": "equals", "value": True}, False),
    ({"field": "delivery_method", "op": "equals", "value": "flat_rate"}, True),
    ({"all": [{"field": "country", "op": "equals", "value": "SE"},
              {"field": "total", "op": "lt", "value": 10}]}, False),
    ({"any": [{"field": "country", "op": "equals", "value": "NO"},
              {"field": "total", "op": "gt", "value": 10}]}, True),
    ({"not": {"field": "country", "op": "equals", "value": "SE"}}, False),
    ({"field": "custom_fields.po", "op": "empty"}, True),
])
def test_each_condition_on_an_order(condition, holds):
    assert when(condition) is holds


def test_conditions_on_the_other_flows_objects():
    article = Article(article_no="A-12", group=ArticleGroup(code="12"), price_ex_vat=Decimal(50))
    assert when({"field": "group", "op": "equals", "value": "12"}, article, "article_to_specter")
    assert when({"field": "available", "op": "lt", "value": 1}, StockLevel(article_no="X", available=0),
                "stock_from_specter")
    assert when({"field": "delivered", "op": "equals", "value": True},
                OrderStatusUpdate(specter_order_no="5", delivered=True), "order_status_from_specter")
    assert when({"field": "is_company", "op": "equals", "value": True}, Customer(company="Acme"),
                "customer_to_specter")


def test_set_with_a_value_and_a_template_changes_a_copy_and_names_the_rule():
    original = order()
    ran = run({"name": "note", "flow": "order_to_specter", "actions": [
        {"do": "set", "field": "internal_comment", "template": "Note: {customer_note} ({payment.method})"},
        {"do": "set", "field": "stock_site_id", "value": "2"}]}, original)
    assert ran.obj.internal_comment == "Note: Ring på dörren (klarna)"
    assert ran.obj.stock_site_id == "2"
    assert ran.changed_by == ["note"]
    assert original.internal_comment == "" and original.stock_site_id == ""  # the caller's is as it was


def test_a_rule_that_changes_nothing_is_not_named():
    ran = run({"name": "same", "flow": "order_to_specter",
               "actions": [{"do": "set", "field": "payment.method", "value": "klarna"}]}, order())
    assert ran.changed_by == []


def test_map_through_a_table_with_and_without_a_default():
    rule = {"name": "m", "flow": "order_to_specter",
            "actions": [{"do": "map", "field": "payment.method", "table": {"klarna": "KL"}}]}
    assert run(rule, order()).obj.payment.method == "KL"
    assert run(rule, order(payment=Payment(method="swish"))).obj.payment.method == "swish"
    rule["actions"][0]["default"] = "OTHER"
    assert run(rule, order(payment=Payment(method="swish"))).obj.payment.method == "OTHER"


def test_add_and_remove_rows():
    ran = run({"name": "rows", "flow": "order_to_specter", "actions": [
        {"do": "remove_rows", "kind": "product", "article_no": "SAMPLE-.*"},
        {"do": "add_row", "kind": "payment_fee", "name": "Fee", "unit_price_ex_vat": "10"}]}, order())
    assert [type(r).__name__ for r in ran.obj.rows] == ["ProductRow", "ShippingRow", "PaymentFeeRow"]
    fee = ran.obj.rows[-1]
    assert isinstance(fee, PaymentFeeRow) and fee.unit_price_ex_vat == Decimal(10)
    gone = run({"name": "all-shipping", "flow": "order_to_specter",
                "actions": [{"do": "remove_rows", "kind": "shipping"}]}, order())
    assert not [r for r in gone.obj.rows if isinstance(r, ShippingRow)]


def test_rewrite_article_numbers_there_and_back():
    rules = Compiled(load({"rules": [
        {"name": "w", "flow": "order_to_specter", "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]},
        {"name": "dash", "flow": "article_to_specter", "actions": [
            {"do": "rewrite_article_no", "pattern": "_", "replacement": "-", "reverse_pattern": "-",
             "reverse_replacement": "_", "suffix": "-S"}]}]}))
    sent = rules.run("order_to_specter", order()).obj
    assert [r.article_no for r in sent.rows if isinstance(r, ProductRow)] == ["W-TS-1", "W-SAMPLE-1"]
    assert rules.run("article_to_specter", Article(article_no="a_b")).obj.article_no == "a-b-S"
    back = rules.run("stock_from_specter", StockLevel(article_no="W-TS-1", available=3))
    assert (back.obj.article_no, back.changed_by) == ("TS-1", ["w"])
    assert rules.run("article_from_specter", Article(article_no="a-b-S")).obj.article_no == "a_b"
    untouched = rules.run("stock_from_specter", StockLevel(article_no="OTHER", available=3))
    assert (untouched.obj.article_no, untouched.changed_by) == ("OTHER", [])


def test_stop_ends_the_flow_and_disabled_rules_do_not_run():
    rules = Compiled(load({"rules": [
        {"name": "off", "flow": "order_to_specter", "enabled": False, "actions": [{"do": "skip", "reason": "x"}]},
        {"name": "first", "flow": "order_to_specter", "actions": [{"do": "set", "field": "stock_site_id",
                                                                     "value": "3"}, {"do": "stop"}]},
        {"name": "later", "flow": "order_to_specter", "actions": [{"do": "skip", "reason": "never"}]}]}))
    ran = rules.run("order_to_specter", order())
    assert (ran.skipped, ran.obj.stock_site_id, ran.changed_by) == (None, "3", ["first"])


def test_skip_says_which_rule_and_why():
    ran = run({"name": "gift", "flow": "order_to_specter", "when": {"field": "payment.method", "op": "equals",
                                                                      "value": "klarna"},
               "actions": [{"do": "skip", "reason": "paid by gift card"}]}, order())
    assert str(ran.skipped) == "skipped by rule 'gift': paid by gift card"


@pytest.mark.parametrize(("rule", "field", "words"), [
    ({"when": {"field": "paymnt.method", "op": "equals", "value": "x"}}, "$.rules[0].when.field",
     "no field 'paymnt.method'"),
    ({"when": {"field": "total", "op": "gt", "value": "many"}}, "$.rules[0].when.value", "needs a number"),
    ({"when": {"field": "country", "op": "gt", "value": 3}}, "$.rules[0].when.op", "compares numbers"),
    ({"when": {"field": "customer.is_company", "op": "equals", "value": "yes"}}, "$.rules[0].when.value", "bool"),
    ({"when": {"field": "country", "op": "matches", "value": "("}}, "$.rules[0].when.value", "no regular expression"),
    ({"when": {"all": [{"field": "country", "op": "in", "value": "SE"}]}}, "$.rules[0].when.all[0].value", "list"),
    ({"actions": [{"do": "set", "field": "total", "value": "1"}]}, "$.rules[0].actions[0].field", "read-only"),
    ({"actions": [{"do": "set", "field": "stock_site_id", "value": "two"}]}, "$.rules[0].actions[0].value", "digits"),
    ({"actions": [{"do": "set", "field": "internal_comment", "template": "{nope}"}]},
     "$.rules[0].actions[0].template", "no field 'nope'"),
    ({"actions": [{"do": "rewrite_article_no", "prefix": "W "}]}, "$.rules[0].actions[0].prefix", "Specter refuses"),
    ({"actions": [{"do": "rewrite_article_no", "pattern": ".*", "replacement": "å"}]},
     "$.rules[0].actions[0].replacement", "Specter refuses"),
    ({"actions": [{"do": "add_row", "name": "x", "article_no": "A B"}]}, "$.rules[0].actions[0].article_no",
     "characters Specter cannot take"),
    ({"actions": [{"do": "skip", "reason": " "}]}, "$.rules[0].actions[0].reason", "needs a reason"),
    ({"actions": []}, "$.rules[0].actions", "no actions"),
    ({"flow": "stock_from_specter", "actions": [{"do": "rewrite_article_no", "prefix": "W-"}]},
     "$.rules[0].actions[0].do", "rewritten back by themselves"),
    ({"actions": [{"do": "explode"}]}, "$.rules[0].actions[0]", "Invalid value 'explode'"),
    ({"colour": "red"}, "$.rules[0]", "unknown field `colour`"),
])
def test_a_mistake_is_refused_naming_the_rule_and_where(rule, field, words):
    full = {"name": "my-rule", "flow": "order_to_specter", "actions": [{"do": "skip", "reason": "r"}]} | rule
    with pytest.raises(RuleProblem) as caught:
        load({"rules": [full]})
    assert "rule 'my-rule'" in str(caught.value)
    assert words in str(caught.value)
    assert caught.value.field is not None and caught.value.field.startswith(field)


def test_two_rules_of_one_name_are_refused():
    rule = {"name": "twice", "flow": "order_to_specter", "actions": [{"do": "stop"}]}
    with pytest.raises(RuleProblem, match="two rules are named 'twice'"):
        load({"rules": [rule, rule]})


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e["rule"]["name"] for e in CATALOGUE])
def test_every_catalogue_rule_is_one_a_tenant_can_save(entry):
    rules = rules_of(entry)
    load(dump(RuleSet(rules=rules)))
    assert entry["title"] and entry["description"]


def test_a_toml_file_reads_as_the_same_rule_set_as_json():
    toml = '''
[[rules]]
name = "b2b"
flow = "order_to_specter"
when = { field = "customer.is_company", op = "equals", value = true }
actions = [{ do = "set", field = "stock_site_id", value = "2" }]
'''
    json = ('{"rules": [{"name": "b2b", "flow": "order_to_specter", "when": {"field": "customer.is_company", '
            '"op": "equals", "value": true}, "actions": [{"do": "set", "field": "stock_site_id", "value": "2"}]}]}')
    assert parse(toml, "rules.toml") == parse(json, "rules.json")


def test_the_history_says_what_each_save_changed():
    one = load({"rules": [{"name": "a", "flow": "order_to_specter", "actions": [{"do": "stop"}]}]})
    two = load({"rules": [{"name": "a", "flow": "order_to_specter", "enabled": False, "actions": [{"do": "stop"}]},
                          {"name": "b", "flow": "order_to_specter", "actions": [{"do": "stop"}]}]})
    assert changes_between(None, one) == ["added a"]
    assert changes_between(one, two) == ["added b", "changed a"]
    assert changes_between(two, one) == ["changed a", "removed b"]
