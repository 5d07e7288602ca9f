"""Running a checked rule set on one domain object: pure, no I/O, so the engine, the preview
and the tests run exactly the same code.

A rule set is compiled once per saved version (regular expressions, numbers parsed), and an
object is copied only when a rule changes it, so a rule set costs little on objects it leaves
alone.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from gateway.model import Article, GiftWrapRow, Order, OrderRow, PaymentFeeRow, ProductRow, ShippingRow
from gateway.rules.check import TEMPLATE_FIELD, parse_number, rewritten
from gateway.rules.fields import FieldSpec
from gateway.rules.fields import field as field_of
from gateway.rules.language import (
    TO_SPECTER,
    AddRow,
    Condition,
    Flow,
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

T = TypeVar("T")
Test = Callable[[Any], bool]
ROW_TYPES: dict[str, type[OrderRow]] = {"product": ProductRow, "shipping": ShippingRow,
                                        "payment_fee": PaymentFeeRow, "gift_wrap": GiftWrapRow}


@dataclass(frozen=True)
class Skipped:
    """An object a rule said not to send."""

    rule: str
    reason: str

    def __str__(self) -> str:
        return f"skipped by rule {self.rule!r}: {self.reason}"


@dataclass
class Ran(Generic[T]):
    """What the rules made of an object: the object (a copy when changed) or a skip, and the
    names of the rules that changed it."""

    obj: T
    changed_by: list[str] = field(default_factory=list)
    skipped: Skipped | None = None


def _value_test(spec: FieldSpec, op: str, value: Any) -> Test:
    get = spec.get
    if op == "empty":
        return lambda o: get(o) in ("", None, []) or get(o) == {}
    if spec.kind == "number":
        number = parse_number(value)
        numbers = [parse_number(v) for v in value] if op == "in" else []

        def num(o: Any) -> Decimal | None:
            return parse_number(get(o))

        tests: dict[str, Test] = {
            "equals": lambda o: num(o) == number, "not_equals": lambda o: num(o) != number,
            "in": lambda o: num(o) in numbers,
            "gt": lambda o: (n := num(o)) is not None and number is not None and n > number,
            "lt": lambda o: (n := num(o)) is not None and number is not None and n < number,
            "gte": lambda o: (n := num(o)) is not None and number is not None and n >= number,
            "lte": lambda o: (n := num(o)) is not None and number is not None and n <= number,
        }
        return tests[op]
    if op == "matches":
        pattern = re.compile(value)
        return lambda o: pattern.search(str(get(o))) is not None
    if op == "contains":
        return lambda o: value in get(o)
    if op == "in":
        members = list(value)
        return lambda o: get(o) in members
    if op == "not_equals":
        return lambda o: get(o) != value
    return lambda o: get(o) == value


def compile_condition(flow: Flow, cond: Condition | None) -> Test:
    if cond is None:
        return lambda o: True
    if cond.all is not None:
        parts = [compile_condition(flow, c) for c in cond.all]
        return lambda o: all(p(o) for p in parts)
    if cond.any is not None:
        parts = [compile_condition(flow, c) for c in cond.any]
        return lambda o: any(p(o) for p in parts)
    if cond.not_ is not None:
        inner = compile_condition(flow, cond.not_)
        return lambda o: not inner(o)
    spec = field_of(flow, cond.field)
    assert spec is not None  # checked when saved
    return _value_test(spec, str(cond.op), cond.value)


@dataclass
class _Compiled:
    rule: Rule
    test: Test
    patterns: dict[int, re.Pattern[str]]  # per action index: its regular expression


class Compiled:
    """A checked rule set, ready to run."""

    def __init__(self, rules: RuleSet, version: int = 0):
        self.version = version
        self.by_flow: dict[Flow, list[_Compiled]] = {}
        self.rewrites: list[tuple[str, RewriteArticleNo, re.Pattern[str] | None]] = []
        for rule in rules.rules:
            if not rule.enabled:
                continue
            patterns: dict[int, re.Pattern[str]] = {}
            for i, action in enumerate(rule.actions):
                if isinstance(action, RewriteArticleNo) and action.pattern:
                    patterns[i] = re.compile(action.pattern)
                elif isinstance(action, RemoveRows) and action.article_no is not None:
                    patterns[i] = re.compile(action.article_no)
                if isinstance(action, RewriteArticleNo) and rule.flow in TO_SPECTER and (
                        action.prefix or action.suffix or action.reverse_pattern is not None):
                    if all(a != action for _, a, _ in self.rewrites):
                        back = re.compile(action.reverse_pattern) if action.reverse_pattern is not None else None
                        self.rewrites.append((rule.name, action, back))
            self.by_flow.setdefault(rule.flow, []).append(_Compiled(rule, compile_condition(rule.flow, rule.when),
                                                                     patterns))

    def has(self, flow: Flow) -> bool:
        return bool(self.by_flow.get(flow)) or (flow in ("stock_from_specter", "article_from_specter")
                                                and bool(self.rewrites))

    def run(self, flow: Flow, obj: T) -> Ran[T]:
        ran: Ran[T] = Ran(obj)
        if flow in ("stock_from_specter", "article_from_specter") and self.rewrites:
            self._unrewrite(ran)
        for compiled in self.by_flow.get(flow, ()):
            if not compiled.test(ran.obj):
                continue
            stop = False
            for i, action in enumerate(compiled.rule.actions):
                if isinstance(action, Skip):
                    ran.skipped = Skipped(compiled.rule.name, action.reason)
                    return ran
                if isinstance(action, Stop):
                    stop = True
                    continue
                _Action(ran, compiled, flow).apply(action, compiled.patterns.get(i))
            if stop:
                break
        return ran

    def _unrewrite(self, ran: Ran[Any]) -> None:
        """A number from Specter in the form a rewrite gave it, back in the shop's form."""
        number: str = ran.obj.article_no
        for name, action, back in self.rewrites:
            if not (number.startswith(action.prefix) and number.endswith(action.suffix)):
                continue
            middle = number[len(action.prefix): len(number) - len(action.suffix)]
            if back is not None:
                middle = back.sub(action.reverse_replacement, middle)
            elif action.pattern:
                continue  # a pattern without its reverse is one-way
            if middle and middle != number:
                obj = copy.deepcopy(ran.obj)
                obj.article_no = middle
                ran.obj = obj
                ran.changed_by.append(name)
            return


class _Action:
    def __init__(self, ran: Ran[Any], compiled: _Compiled, flow: Flow):
        self.ran, self.name, self.flow = ran, compiled.rule.name, flow

    def writable(self) -> Any:
        """The object, copied the first time a rule changes it (the caller's stays as it was)."""
        if not self.ran.changed_by:
            self.ran.obj = copy.deepcopy(self.ran.obj)
        if self.name not in self.ran.changed_by:
            self.ran.changed_by.append(self.name)
        return self.ran.obj

    def put(self, spec: FieldSpec, value: Any) -> None:
        if spec.get(self.ran.obj) == value:
            return  # nothing changes: the rule did nothing to this object
        assert spec.set is not None
        spec.set(self.writable(), value)

    def apply(self, action: object, pattern: re.Pattern[str] | None) -> None:
        obj = self.ran.obj
        if isinstance(action, SetField):
            spec = field_of(self.flow, action.field)
            assert spec is not None
            if action.template is not None:
                value: Any = TEMPLATE_FIELD.sub(lambda m: _text(field_of(self.flow, m.group(1)), obj), action.template)
            elif spec.kind == "number":
                value = parse_number(action.value)
            else:
                value = action.value
            self.put(spec, value)
        elif isinstance(action, MapValue):
            spec = field_of(self.flow, action.field)
            assert spec is not None
            current = str(spec.get(obj))
            mapped = action.table.get(current, action.default)
            if mapped is not None:
                self.put(spec, mapped)
        elif isinstance(action, AddRow):
            row = ROW_TYPES[action.kind](name=action.name, quantity=action.quantity,
                                         unit_price_ex_vat=action.unit_price_ex_vat, vat_percent=action.vat_percent)
            if isinstance(row, ProductRow):
                row.article_no = action.article_no
            order: Order = self.writable()
            order.rows = [*order.rows, row]
        elif isinstance(action, RemoveRows):
            kind = ROW_TYPES[action.kind] if action.kind else None
            keep = [r for r in obj.rows if not _row_matches(r, kind, pattern)]
            if len(keep) != len(obj.rows):
                self.writable().rows = keep
        elif isinstance(action, RewriteArticleNo):
            self.rewrite(action, pattern)

    def rewrite(self, action: RewriteArticleNo, pattern: re.Pattern[str] | None) -> None:
        obj = self.ran.obj
        if isinstance(obj, Article):
            if obj.article_no:
                self.writable().article_no = rewritten(action, obj.article_no, pattern)
        elif isinstance(obj, Order) and any(isinstance(r, ProductRow) and r.article_no for r in obj.rows):
            order: Order = self.writable()
            for row in order.rows:
                if isinstance(row, ProductRow) and row.article_no:
                    row.article_no = rewritten(action, row.article_no, pattern)


def _row_matches(row: OrderRow, kind: type[OrderRow] | None, pattern: re.Pattern[str] | None) -> bool:
    if kind is not None and not isinstance(row, kind):
        return False
    if pattern is not None:
        return isinstance(row, ProductRow) and pattern.fullmatch(row.article_no) is not None
    return True


def _text(spec: FieldSpec | None, obj: Any) -> str:
    if spec is None:
        return ""
    value = spec.get(obj)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def limits_broken(flow: Flow, before: Any, after: Any) -> str | None:
    """What Specter would refuse in ``after`` that ``before`` (the object as the shop gave it)
    did not break: a rule made it so."""
    from gateway.specter.limits import article_problem, customer_problem

    if flow == "order_to_specter":
        def bad_rows(order: Order) -> set[str]:
            return {f"order row {r.name!r} {p}" for r in order.rows
                    if isinstance(r, ProductRow) and r.article_no and (p := article_no_problem(r.article_no))}
        new = sorted(bad_rows(after) - bad_rows(before))
        if new:
            return new[0]
        before_customer, after_customer = customer_problem(before.customer), customer_problem(after.customer)
        return f"the customer {after_customer}" if after_customer and not before_customer else None
    if flow == "customer_to_specter":
        problem = customer_problem(after)
        return f"the customer {problem}" if problem and not customer_problem(before) else None
    if flow == "article_to_specter":
        problem = article_problem(after)
        return f"the article {problem}" if problem and not article_problem(before) else None
    return None
