"""The tenant's forms: every TenantSettings field, and the platform's shop connection.

The settings form is built from ``TenantSettings`` itself, grouped by the ``# -- Group``
comments in gateway/settings.py and with each field's own comment as its hint, so a setting
added there appears here without touching the console. Booleans are checkboxes, Literals
selects, dicts ``key=value`` lines and lists comma lists; validation stays in TenantService.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from starlette.datastructures import FormData

from gateway.adapter import Platform
from gateway.model import InvalidInput
from gateway.secrets import MASK
from gateway.settings import TenantSettings

Kind = Literal["bool", "choice", "lines", "list", "text", "optional", "number", "secret"]

_GROUP = re.compile(r"^\s{4}# -- (?P<title>[^:.]+)")
_FIELD = re.compile(r"^\s{4}(?P<name>[a-z_]\w*): ")
_COMMENT = re.compile(r"^\s{4}# (?P<text>.*)")


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    hint: str = ""
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Group:
    title: str
    fields: tuple[Field, ...]


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "number", ()
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin is dict:
        return "lines", ()
    if origin is list:
        return "list", ()
    if type(None) in typing.get_args(annotation):
        return "optional", ()
    return "text", ()


@functools.cache
def settings_groups() -> tuple[Group, ...]:
    """TenantSettings' fields, grouped and hinted as its source comments say."""
    hints = typing.get_type_hints(TenantSettings, include_extras=True)
    names = [f.name for f in msgspec.structs.fields(TenantSettings)]
    groups: list[tuple[str, list[Field]]] = []
    placed: set[str] = set()
    pending_comment: list[str] = []
    for line in inspect.getsource(TenantSettings).splitlines():
        if match := _GROUP.match(line):
            groups.append((match["title"].strip(), []))
            pending_comment = []
        elif (match := _FIELD.match(line)) and match["name"] in hints and match["name"] in names:
            name = match["name"]
            inline = line.split("  # ", 1)[1].strip() if "  # " in line else ""
            kind, choices = _kind(hints[name])
            hint = " ".join([*pending_comment, inline]).strip()
            if not groups:
                groups.append(("Settings", []))
            groups[-1][1].append(Field(name, kind, hint, choices))
            placed.add(name)
            pending_comment = []
        elif match := _COMMENT.match(line):
            pending_comment.append(match["text"].strip())
    rest = [Field(n, *_kind(hints[n])) for n in names if n not in placed]  # a field without a group comment
    if rest:
        groups.append(("Other", rest))
    return tuple(Group(title, tuple(fields)) for title, fields in groups)


def shop_fields(platform: Platform) -> tuple[Field, ...]:
    """The platform's connection settings; secrets as password fields."""
    if platform.connection is None:
        return ()
    hints = typing.get_type_hints(platform.connection, include_extras=True)
    fields = []
    for f in msgspec.structs.fields(platform.connection):
        kind, choices = _kind(hints[f.name])
        fields.append(Field(f.name, "secret" if f.name in platform.secret_fields else kind, "", choices))
    return tuple(fields)


def shown_value(field: Field, value: Any) -> Any:
    """A stored value as its form control shows it; a secret only as the mask."""
    if field.kind == "bool":
        return bool(value)
    if field.kind == "secret":
        return MASK if value else ""
    if field.kind == "lines":
        return "\n".join(f"{k}={v}" for k, v in (value or {}).items())
    if field.kind == "list":
        return ", ".join(value or [])
    return "" if value is None else str(value)


def _parse(field: Field, form: FormData, path: str) -> Any:
    raw = form.get(field.name)
    text = raw.strip() if isinstance(raw, str) else ""
    if field.kind == "bool":
        return raw is not None  # an unticked checkbox is not sent at all
    if field.kind == "lines":
        pairs: dict[str, str] = {}
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise InvalidInput(f"line {n}: write key=value, not {line.strip()!r}", f"{path}.{field.name}")
            pairs[key.strip()] = value.strip()
        return pairs
    if field.kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if field.kind == "optional":
        return text or None
    if field.kind == "number" and text.lstrip("-").isdigit():
        return int(text)
    return raw if field.kind == "secret" and isinstance(raw, str) else text


def parse_settings(form: FormData) -> dict[str, Any]:
    """The settings form as a ``settings`` patch for TenantService.update_tenant."""
    return {f.name: _parse(f, form, "$.settings") for group in settings_groups() for f in group.fields}


def parse_shop(platform: Platform, form: FormData) -> dict[str, Any]:
    """The connection form as a ``shop`` patch; a secret left as the mask keeps the stored one."""
    return {f.name: _parse(f, form, "$.shop") for f in shop_fields(platform)}


def error_field(exc: InvalidInput) -> str | None:
    """The form field an error is about: ``$.settings.payment_types["x"]`` -> ``payment_types``."""
    match = re.match(r"\$\.(?:settings|shop)\.(\w+)", exc.field or "")
    if match:
        return match[1]
    # A check in __post_init__ names its field first ("tax_classes: '2x' is not a VAT percent").
    names = {f.name for g in settings_groups() for f in g.fields}
    head = str(exc).split(":", 1)[0].strip()
    return head if head in names else None


def error_message(exc: InvalidInput) -> str:
    """The message without msgspec's trailing `` - at `$.path` ``: the form shows the field."""
    return str(exc).split(" - at `")[0]
