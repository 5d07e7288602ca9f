"""Random rule sets, made by Hypothesis from the language's whole vocabulary (mistakes
included), on random orders: saving either refuses the set naming a rule, or the engine's steps
(the rules, the check against Specter's limits, the order as Specter gets it, its form) never
crash, and an order Specter's limits would refuse is stopped with a reason naming the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.engine.order_rows import specter_order
from gateway.errors import PermanentError
from gateway.model import Address, Customer, Order, Payment, ProductRow, ShippingRow
from gateway.rules.apply import decided
from gateway.rules.check import RuleProblem, load
from gateway.rules.run import Compiled, Skipped
from gateway.settings import TenantSettings, article_no_problem
from gateway.specter.forms import order_form

FIELDS = ["payment.method", "country", "total", "customer.is_company", "customer.email", "article_nos",
          "stock_site_id", "internal_comment", "customer_note", "delivery_method_id", "custom_fields.po",
          "customer.company", "row_count", "no.such.field"]
OPS = ["equals", "not_equals", "in", "contains", "matches", "gt", "lt", "gte", "lte", "empty"]
TEXT = st.sampled_from(["", "SE", "klarna", "W-", "2", "x y", "å", "(", ".*", "-", "_", "Acme", "{customer_note}"])
VALUES = st.one_of(TEXT, st.integers(-5, 5000), st.booleans(), st.none(), st.lists(TEXT, max_size=3))

# Mostly comparisons that pass the checks (so the engine's steps get exercised), some at random.
GOOD_TESTS = st.sampled_from([
    {"field": "payment.method", "op": "equals", "value": "invoice"},
    {"field": "country", "op": "in", "value": ["SE", "NO"]},
    {"field": "total", "op": "gt", "value": 50}, {"field": "total", "op": "lte", "value": "100"},
    {"field": "customer.is_company", "op": "equals", "value": True},
    {"field": "article_nos", "op": "contains", "value": "TS-1"},
    {"field": "customer.email", "op": "matches", "value": "@b"}, {"field": "customer_note", "op": "empty"}])
GOOD_ACTIONS = st.one_of(
    st.fixed_dictionaries({"do": st.just("set"), "field": st.just("stock_site_id"),
                           "value": st.sampled_from(["2", ""])}),
    st.fixed_dictionaries({"do": st.just("set"), "field": st.sampled_from(["internal_comment", "customer.email",
                                                                            "customer.company", "payment.method"]),
                           "template": TEXT}),
    st.fixed_dictionaries({"do": st.just("rewrite_article_no"), "prefix": st.sampled_from(["W-", "", "x"]),
                           "suffix": st.sampled_from(["", "-S"]), "pattern": st.sampled_from(["_", "^.*$", "[0-9]"]),
                           "replacement": st.sampled_from(["", "-", "\\g<0>0"])}),
    st.fixed_dictionaries({"do": st.just("remove_rows"), "kind": st.sampled_from(["product", "shipping"])}),
    st.fixed_dictionaries({"do": st.just("add_row"), "name": st.just("Fee"), "kind": st.just("payment_fee"),
                           "unit_price_ex_vat": st.integers(-100, 100)}),
    st.fixed_dictionaries({"do": st.just("skip"), "reason": st.just("because")}),
)
conditions = st.recursive(
    st.one_of(GOOD_TESTS, GOOD_TESTS,
              st.fixed_dictionaries({"field": st.sampled_from(FIELDS), "op": st.sampled_from(OPS), "value": VALUES})),
    lambda inner: st.one_of(st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
                            st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)}),
                            st.fixed_dictionaries({"not": inner})),
    max_leaves=4)
actions = st.one_of(
    GOOD_ACTIONS, GOOD_ACTIONS, GOOD_ACTIONS,
    st.fixed_dictionaries({"do": st.just("set"), "field": st.sampled_from(FIELDS), "value": VALUES}),
    st.fixed_dictionaries({"do": st.just("set"), "field": st.sampled_from(FIELDS), "template": TEXT}),
    st.fixed_dictionaries({"do": st.just("map"), "field": st.sampled_from(FIELDS),
                           "table": st.dictionaries(TEXT, TEXT, max_size=3)}),
    st.fixed_dictionaries({"do": st.just("add_row"), "name": TEXT, "article_no": TEXT,
                           "kind": st.sampled_from(["product", "shipping", "payment_fee"]),
                           "quantity": st.integers(-1, 3), "unit_price_ex_vat": st.integers(-100, 100)}),
    st.fixed_dictionaries({"do": st.just("remove_rows"), "article_no": TEXT}),
    st.fixed_dictionaries({"do": st.just("rewrite_article_no"), "prefix": TEXT, "suffix": TEXT}),
    st.fixed_dictionaries({"do": st.just("rewrite_article_no"), "pattern": TEXT, "replacement": TEXT}),
    st.fixed_dictionaries({"do": st.just("skip"), "reason": TEXT}),
    st.just({"do": "stop"}),
)
rules = st.lists(st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "d"]), "flow": st.just("order_to_specter"),
     "actions": st.lists(actions, min_size=1, max_size=3)},
    optional={"when": conditions}), max_size=4)
orders = st.builds(
    lambda skus, method, company, country: Order(
        shop_id="1", number="1001", state="processing", payment=Payment(method=method),
        customer=Customer(email="a@b.se", company=company), billing=Address(country_code=country),
        rows=[*(ProductRow(article_no=s, unit_price_ex_vat=Decimal(10), vat_percent=Decimal(25)) for s in skus),
              ShippingRow(name="Frakt", unit_price_ex_vat=Decimal(49), vat_percent=Decimal(25))]),
    st.lists(st.sampled_from(["TS-1", "A_2", "900", "bad sku"]), min_size=1, max_size=3),
    st.sampled_from(["klarna", "invoice", ""]), st.sampled_from(["", "Acme"]), st.sampled_from(["SE", "NO", ""]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=rules, order=orders)
def test_random_rule_sets_never_crash_and_never_send_what_specter_refuses_unnamed(document: list[dict[str, Any]],
                                                                                    order: Order) -> None:
    try:
        checked = load({"rules": document})
    except RuleProblem as exc:
        assert exc.field and exc.field.startswith("$")
        return
    names = {r.name for r in checked.rules}
    event("rule set accepted")
    ran = Compiled(checked).run("order_to_specter", order)
    try:
        outcome = decided("order_to_specter", order, ran)
    except PermanentError as exc:
        assert any(f"'{n}'" in str(exc) for n in ran.changed_by), exc
        return
    if isinstance(outcome, Skipped):
        assert outcome.rule in names
        return
    sent, _ = specter_order(outcome, TenantSettings(), "1")
    order_form(sent)  # encodes without error
    # What Specter would refuse is only what the shop itself gave (the engine refuses that anyway).
    shops_own = {r.article_no for r in order.rows if isinstance(r, ProductRow) and article_no_problem(r.article_no)}
    for row in sent.rows:
        assert not row.article_no or not article_no_problem(row.article_no) or row.article_no in shops_own, row
    assert sent.stock_site_id == "" or sent.stock_site_id.isdigit()
