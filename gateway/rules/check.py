"""Checking a rule set when it is saved: every mistake names the rule and where in it.

A rule that names a field its flow's object lacks, compares a field with a value of another
kind, sets a read-only field, or would give Specter an article number it refuses, is refused
with :class:`gateway.model.InvalidInput` whose ``field`` is the JSON path
(``$.rules[2].when.all[0].field``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from gateway.model import InvalidInput
from gateway.rules.fields import FieldSpec, field, field_names
from gateway.rules.language import (
    TO_SPECTER,
    AddRow,
    Condition,
    MapValue,
    RemoveRows,
    RewriteArticleNo,
    Rule,
    RuleSet,
    SetField,
    Skip,
    Stop,
)
from gateway.settings import article_no_problem

TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
MAX_RULES = 500
ROW_NAME_MAX = 140
# Article numbers a rewrite is tried on when it is saved; the result must be one Specter takes.
SAMPLE_ARTICLE_NOS = ("ABC-123", "1001", "x_9")
ORDER_ONLY = (AddRow, RemoveRows)


class RuleProblem(InvalidInput):
    """A rule set that cannot be saved; ``field`` is where, the message names the rule."""


def parse_number(value: Any) -> Decimal | None:
    """A rule's number (JSON number or text), or None when it is none."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def load(data: Any) -> RuleSet:
    """A rule set from parsed JSON or TOML, checked; raises :class:`RuleProblem`."""
    try:
        rules = msgspec.convert(data, type=RuleSet, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = text.rsplit(" - at `", 1)[1].rstrip("`") if " - at `" in text else "$"
        raise RuleProblem(f"{_rule_named(data, where)}{text.split(' - at `')[0]}", where) from None
    check(rules)
    return rules


def _rule_named(data: Any, where: str) -> str:
    match = re.match(r"^\$\.rules\[(\d+)\]", where)
    try:
        return f"rule {data['rules'][int(match.group(1))]['name']!r}: " if match else ""
    except (KeyError, IndexError, TypeError):
        return ""


def check(rules: RuleSet) -> None:
    """Raise :class:`RuleProblem` for the first mistake in ``rules``."""
    if len(rules.rules) > MAX_RULES:
        raise RuleProblem(f"a rule set holds at most {MAX_RULES} rules, not {len(rules.rules)}", "$.rules")
    seen: set[str] = set()
    for i, rule in enumerate(rules.rules):
        at = f"$.rules[{i}]"
        if not rule.name.strip():
            raise RuleProblem(f"rule {i + 1} has no name", f"{at}.name")
        if rule.name in seen:
            raise RuleProblem(f"two rules are named {rule.name!r}: give each its own name", f"{at}.name")
        seen.add(rule.name)
        _Checker(rule, at).run()


class _Checker:
    def __init__(self, rule: Rule, at: str):
        self.rule, self.at, self.flow = rule, at, rule.flow

    def fail(self, message: str, where: str) -> RuleProblem:
        return RuleProblem(f"rule {self.rule.name!r}: {message}", f"{self.at}.{where}")

    def run(self) -> None:
        if self.rule.when is not None:
            self.condition(self.rule.when, "when")
        if not self.rule.actions:
            raise self.fail("has no actions", "actions")
        for j, action in enumerate(self.rule.actions):
            self.action(action, f"actions[{j}]")

    def field(self, name: str, where: str) -> FieldSpec:
        spec = field(self.flow, name)
        if spec is None:
            raise self.fail(f"{self.flow} has no field {name!r} (its fields: {', '.join(field_names(self.flow))})",
                            where)
        return spec

    def condition(self, cond: Condition, where: str) -> None:
        forms = [cond.op is not None, cond.all is not None, cond.any is not None, cond.not_ is not None]
        if sum(forms) != 1:
            raise self.fail("a condition is one of: field with op (and value), all, any, not", where)
        if cond.all is not None or cond.any is not None:
            parts, key = (cond.all, "all") if cond.all is not None else (cond.any, "any")
            if not parts:
                raise self.fail(f"{key} needs at least one condition", f"{where}.{key}")
            for k, part in enumerate(parts):
                self.condition(part, f"{where}.{key}[{k}]")
            return
        if cond.not_ is not None:
            self.condition(cond.not_, f"{where}.not")
            return
        spec = self.field(cond.field, f"{where}.field")
        self.comparison(spec, str(cond.op), cond.value, where)

    def comparison(self, spec: FieldSpec, op: str, value: Any, where: str) -> None:
        def wrong(expected: str) -> RuleProblem:
            return self.fail(f"{op} on {spec.kind} field {spec.name!r} needs {expected}, not {value!r}",
                             f"{where}.value")

        if op == "empty":
            if value is not None:
                raise wrong("no value")
            return
        if op in ("gt", "lt", "gte", "lte"):
            if spec.kind != "number":
                raise self.fail(f"{op} compares numbers; {spec.name!r} is {spec.kind}", f"{where}.op")
            if parse_number(value) is None:
                raise wrong("a number")
            return
        if op == "matches":
            if spec.kind != "text":
                raise self.fail(f"matches tests text; {spec.name!r} is {spec.kind}", f"{where}.op")
            if not isinstance(value, str):
                raise wrong("a regular expression")
            self.pattern(value, f"{where}.value")
            return
        if op == "contains":
            if spec.kind not in ("text", "list") or not isinstance(value, str):
                raise wrong("text, on a text or list field")
            return
        values = value if op == "in" else [value]
        if op == "in" and not (isinstance(value, list) and value):
            raise wrong("a list of values")
        for v in values:
            if not _fits(spec, v):
                raise wrong(f"{'values' if op == 'in' else 'a value'} of kind {spec.kind}")

    def pattern(self, text: str, where: str) -> re.Pattern[str]:
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.fail(f"{text!r} is no regular expression: {exc}", where) from None

    def action(self, action: object, where: str) -> None:
        if isinstance(action, ORDER_ONLY) and self.flow != "order_to_specter":
            raise self.fail("order rows are added or removed in the order_to_specter flow only", f"{where}.do")
        if isinstance(action, SetField):
            self.set_field(action, where)
        elif isinstance(action, MapValue):
            spec = self.settable(action.field, where)
            if spec.kind != "text":
                raise self.fail(f"map works on text fields; {spec.name!r} is {spec.kind}", f"{where}.field")
        elif isinstance(action, AddRow):
            self.add_row(action, where)
        elif isinstance(action, RemoveRows):
            if action.article_no is not None:
                self.pattern(action.article_no, f"{where}.article_no")
        elif isinstance(action, RewriteArticleNo):
            self.rewrite(action, where)
        elif isinstance(action, Skip):
            if not action.reason.strip():
                raise self.fail("skip needs a reason, shown in the object's event", f"{where}.reason")
        else:
            assert isinstance(action, Stop)

    def settable(self, name: str, where: str) -> FieldSpec:
        spec = self.field(name, f"{where}.field")
        if spec.set is None:
            raise self.fail(f"field {name!r} of {self.flow} is read-only", f"{where}.field")
        return spec

    def set_field(self, action: SetField, where: str) -> None:
        spec = self.settable(action.field, where)
        if (action.template is None) == (action.value is None):
            raise self.fail("set takes either value or template", where)
        if action.template is not None:
            if spec.kind != "text":
                raise self.fail(f"a template makes text; {spec.name!r} is {spec.kind}", f"{where}.template")
            for name in TEMPLATE_FIELD.findall(action.template):
                self.field(name, f"{where}.template")
        elif not _fits(spec, action.value):
            raise self.fail(f"{spec.name!r} is a {spec.kind} field; {action.value!r} is not one",
                            f"{where}.value")
        if spec.name == "stock_site_id" or spec.name == "webshop_id":
            if not (isinstance(action.value, str) and action.value.isdigit() or action.value == ""):
                raise self.fail(f"{spec.name} is a Specter id: digits only, not {action.value!r}", f"{where}.value")

    def add_row(self, row: AddRow, where: str) -> None:
        if not row.name.strip() or len(row.name) > ROW_NAME_MAX:
            raise self.fail(f"an added row needs a name of 1 to {ROW_NAME_MAX} characters", f"{where}.name")
        if row.kind == "product" or row.article_no:
            problem = article_no_problem(row.article_no)
            if problem:
                raise self.fail(f"the added row {problem}", f"{where}.article_no")
        if not Decimal(0) <= row.vat_percent <= Decimal(100):
            raise self.fail(f"vat_percent must be 0 to 100, not {row.vat_percent}", f"{where}.vat_percent")
        if row.quantity <= 0 or not row.quantity.is_finite() or not row.unit_price_ex_vat.is_finite():
            raise self.fail("an added row needs a quantity above 0 and a price", f"{where}.quantity")

    def rewrite(self, action: RewriteArticleNo, where: str) -> None:
        if self.flow not in TO_SPECTER:
            raise self.fail(f"article numbers are rewritten on their way to Specter ({', '.join(sorted(TO_SPECTER))});"
                            " stock and article data coming back are rewritten back by themselves", f"{where}.do")
        if not (action.prefix or action.suffix or action.pattern):
            raise self.fail("rewrite_article_no needs a prefix, a suffix or a pattern", where)
        pattern = self.pattern(action.pattern, f"{where}.pattern") if action.pattern else None
        if (action.reverse_pattern is not None) and pattern is None:
            raise self.fail("reverse_pattern undoes a pattern; this rewrite has none", f"{where}.reverse_pattern")
        if action.reverse_pattern is not None:
            self.pattern(action.reverse_pattern, f"{where}.reverse_pattern")
        for sample in SAMPLE_ARTICLE_NOS:
            try:
                result = rewritten(action, sample, pattern)
            except (re.error, IndexError) as exc:
                raise self.fail(f"the replacement cannot be made: {exc}", f"{where}.replacement") from None
            problem = article_no_problem(result)
            if problem:
                key = "prefix" if action.prefix and article_no_problem(action.prefix) else (
                    "suffix" if action.suffix and article_no_problem(action.suffix) else "replacement")
                raise self.fail(f"would make {sample!r} into {result!r}, and Specter refuses that: {problem}",
                                f"{where}.{key}")


def rewritten(action: RewriteArticleNo, article_no: str, pattern: re.Pattern[str] | None) -> str:
    """The article number as Specter gets it."""
    middle = pattern.sub(action.replacement, article_no) if pattern is not None else article_no
    return f"{action.prefix}{middle}{action.suffix}"


def _fits(spec: FieldSpec, value: Any) -> bool:
    if spec.kind == "number":
        return parse_number(value) is not None
    if spec.kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)  # text, and a list's member
