"""The rule language: a tenant's rule set as a document (JSON or TOML), as msgspec Structs.

A rule names its flow, a condition over the flow's object (:mod:`gateway.rules.fields` lists
the fields each flow offers) and the actions to take when it holds. Rules of a flow run in
document order on the typed domain object, after the shop's or Specter's data was decoded and
before it is encoded for the other side, so a rule works alike for every platform.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec

Flow = Literal["order_to_specter", "customer_to_specter", "article_to_specter", "article_from_specter",
               "stock_from_specter", "order_status_from_specter"]
FLOWS: tuple[Flow, ...] = ("order_to_specter", "customer_to_specter", "article_to_specter", "article_from_specter",
                           "stock_from_specter", "order_status_from_specter")
TO_SPECTER: frozenset[Flow] = frozenset({"order_to_specter", "article_to_specter"})  # where numbers are rewritten

Op = Literal["equals", "not_equals", "in", "contains", "matches", "gt", "lt", "gte", "lte", "empty"]
OPS: tuple[str, ...] = ("equals", "not_equals", "in", "contains", "matches", "gt", "lt", "gte", "lte", "empty")


class Document(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every part of a rule document: a misspelt key is an error, not ignored."""


class Condition(Document, kw_only=True):
    """One test (``field``, ``op``, ``value``) or a combination: ``all`` of, ``any`` of, ``not``.
    ``empty`` takes no value: true for "", an empty list, or an unset number."""

    field: str = ""
    op: Op | None = None
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = msgspec.field(default=None, name="not")


class SetField(Document, tag_field="do", tag="set", kw_only=True):
    """Set ``field`` to ``value``, or to ``template`` with ``{other.field}`` filled in."""

    field: str
    value: Any = None
    template: str | None = None


class MapValue(Document, tag_field="do", tag="map", kw_only=True):
    """Replace ``field``'s value by ``table``'s entry for it; ``default`` for one not listed
    (none: left as it is)."""

    field: str
    table: dict[str, str]
    default: str | None = None


RowKind = Literal["product", "shipping", "payment_fee", "gift_wrap"]


class AddRow(Document, tag_field="do", tag="add_row", kw_only=True):
    """Add an order row (a product, a fee)."""

    kind: RowKind = "product"
    name: str
    article_no: str = ""
    quantity: Decimal = Decimal(1)
    unit_price_ex_vat: Decimal = Decimal(0)
    vat_percent: Decimal = Decimal(25)


class RemoveRows(Document, tag_field="do", tag="remove_rows", kw_only=True):
    """Remove the order rows of ``kind`` (any kind when unset) whose article number matches
    ``article_no`` (a regular expression, whole number; any when unset)."""

    kind: RowKind | None = None
    article_no: str | None = None


class RewriteArticleNo(Document, tag_field="do", tag="rewrite_article_no", kw_only=True):
    """Give article numbers another form in Specter: ``prefix`` + number + ``suffix``, or the
    number with ``pattern`` (a regular expression) replaced by ``replacement``. Undone for stock
    and article data coming from Specter: prefix and suffix always, a pattern only when
    ``reverse_pattern`` and ``reverse_replacement`` say how."""

    prefix: str = ""
    suffix: str = ""
    pattern: str | None = None
    replacement: str = ""
    reverse_pattern: str | None = None
    reverse_replacement: str = ""


class Skip(Document, tag_field="do", tag="skip", kw_only=True):
    """Do not send the object; ``reason`` is shown in its event."""

    reason: str


class Stop(Document, tag_field="do", tag="stop", kw_only=True):
    """Run no further rules of this flow on the object."""


Action = SetField | MapValue | AddRow | RemoveRows | RewriteArticleNo | Skip | Stop


class Rule(Document, kw_only=True):
    name: str
    flow: Flow
    when: Condition | None = None  # none: every object of the flow
    actions: list[Action]
    enabled: bool = True
    note: str = ""


class RuleSet(Document, kw_only=True):
    rules: list[Rule] = []


class RuleSetVersion(msgspec.Struct, kw_only=True):
    """A saved rule set: who saved it, when, and which rules that changed."""

    tenant_id: str
    version: int
    rules: RuleSet
    saved_by: str
    saved_at: float
    changes: list[str] = []  # "added X", "changed Y", "removed Z"


def changes_between(old: RuleSet | None, new: RuleSet) -> list[str]:
    """What a save changed, rule by rule, for the rule set's history."""
    before = {r.name: r for r in (old.rules if old else [])}
    after = {r.name: r for r in new.rules}
    out = [f"added {n}" for n in after if n not in before]
    out += [f"changed {n}" for n in after if n in before and before[n] != after[n]]
    out += [f"removed {n}" for n in before if n not in after]
    if not out and old is not None and [r.name for r in old.rules] != [r.name for r in new.rules]:
        out.append("reordered")
    return out
