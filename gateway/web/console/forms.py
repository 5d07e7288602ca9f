"""The tenant's forms: every TenantSettings field, and the platform's shop connection.

The settings form is built from ``TenantSettings`` itself: each field's ``msgspec.Meta`` gives
its group, label and help text (the same the OpenAPI schema shows), so a setting added there
appears here without touching the console. Booleans are checkboxes, Literals selects, dicts
``key=value`` lines and lists comma lists; validation stays in TenantService.
"""

from __future__ import annotations

import functools
import re
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from starlette.datastructures import FormData

from gateway.adapter import Platform
from gateway.model import InvalidInput
from gateway.secrets import MASK
from gateway.settings import GROUP_KEY, SETTING_GROUPS, TenantSettings

Kind = Literal["bool", "choice", "lines", "list", "text", "optional", "number", "secret"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    hint: str = ""
    choices: tuple[str, ...] = ()
    group: str = ""


@dataclass(frozen=True)
class Group:
    title: str
    fields: tuple[Field, ...]


def _described(annotation: Any) -> tuple[Any, dict[str, Any]]:
    """A field's type without ``Annotated``, and the schema keywords its ``msgspec.Meta`` give
    (``title``, ``description``, the group), the outermost Meta winning."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation, {}
    about: dict[str, Any] = {}
    for meta in annotation.__metadata__:
        if isinstance(meta, msgspec.Meta):
            said = {"title": meta.title, "description": meta.description, **(meta.extra_json_schema or {})}
            about |= {key: value for key, value in said.items() if value is not None}
    return typing.get_args(annotation)[0], about


def _kind(type_: Any) -> tuple[Kind, tuple[str, ...]]:
    origin = typing.get_origin(type_)
    if type_ is bool:
        return "bool", ()
    if type_ is int:
        return "number", ()
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(type_))
    if origin is dict:
        return "lines", ()
    if origin is list:
        return "list", ()
    if type(None) in typing.get_args(type_):
        return "optional", ()
    return "text", ()


def _form_fields(struct: type[msgspec.Struct], secret_fields: tuple[str, ...] = ()) -> tuple[Field, ...]:
    """Each field of a Struct as a form field, labelled and explained as its Meta say."""
    hints = typing.get_type_hints(struct, include_extras=True)
    fields = []
    for name in struct.__struct_fields__:
        type_, about = _described(hints[name])
        kind, choices = _kind(type_)
        fields.append(Field(
            name, "secret" if name in secret_fields else kind,
            label=about.get("title") or name.replace("_", " ").capitalize(),
            hint=about.get("description", ""), choices=choices, group=about.get(GROUP_KEY, "")))
    return tuple(fields)


@functools.cache
def settings_groups() -> tuple[Group, ...]:
    """TenantSettings' fields in their groups, the groups in the connectors' order."""
    grouped: dict[str, list[Field]] = {group: [] for group in SETTING_GROUPS}
    for field in _form_fields(TenantSettings):
        if field.group not in grouped:
            raise TypeError(f"TenantSettings.{field.name} has no settings group: describe it with setting()")
        grouped[field.group].append(field)
    return tuple(Group(title, tuple(fields)) for title, fields in grouped.items() if fields)


def shop_fields(platform: Platform) -> tuple[Field, ...]:
    """The platform's connection settings; secrets as password fields."""
    if platform.connection is None:
        return ()
    return _form_fields(platform.connection, platform.secret_fields)


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
