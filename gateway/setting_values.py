"""Tenant settings typed on a command line: ``--setting KEY=VALUE`` made into the setting's type.

A command line has only text, so each value is read as the setting it is for: a text setting
keeps the text as typed (``webshop_id=2`` is the text "2", never the number), a yes/no setting
takes true/false (yes/no, on/off, 1/0), a list takes commas (or a JSON array), a map takes
``key=value`` pairs separated by commas (or a JSON object).

Maps (``payment_types``, ``delivery_methods``, ``order_status_map``, ``tax_classes``) start
from their defaults, which a shop mostly needs. So a map given with ``--setting`` is *merged*
into the tenant's map (the defaults, for a new tenant): ``--setting payment_types=swish=SW``
adds Swish and keeps Klarna, and ``--setting payment_types.swish=SW`` says the same for one
entry (an empty value, ``payment_types.swish=``, removes that entry). Only ``--replace-setting``
replaces a whole map, on purpose.
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import msgspec

from gateway.model import InvalidInput
from gateway.settings import TenantSettings

TRUE = frozenset({"true", "yes", "on", "1"})
FALSE = frozenset({"false", "no", "off", "0"})


def _plain(annotation: Any) -> Any:
    """A type without its ``Annotated`` wrapping."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def setting_types() -> dict[str, Any]:
    """Each setting's name and its plain type."""
    hints = typing.get_type_hints(TenantSettings, include_extras=True)
    return {name: _plain(hints[name]) for name in TenantSettings.__struct_fields__}


def is_map(type_: Any) -> bool:
    return typing.get_origin(type_) is dict


def _unknown(name: str, known: Iterable[str]) -> InvalidInput:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else " (tenant show lists every setting)"
    return InvalidInput(f"there is no setting {name!r}{hint}", f"$.settings.{name}")


def coerce(name: str, text: str, type_: Any) -> Any:
    """``text`` as a value of the setting ``name`` of type ``type_``; refused in words that name
    the setting when it cannot be one."""
    where = f"$.settings.{name}"
    origin = typing.get_origin(type_)
    if type_ is bool:
        word = text.strip().lower()
        if word in TRUE | FALSE:
            return word in TRUE
        raise InvalidInput(f"{name} is true or false, not {text!r}", where)
    if type_ is int:
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(f"{name} is a whole number, not {text!r}", where) from None
    if origin is list:
        if text.strip().startswith("["):
            return _json(name, text, list)
        return [item.strip() for item in text.split(",") if item.strip()]
    if origin is dict:
        if text.strip().startswith("{"):
            return {str(k): v for k, v in _json(name, text, dict).items()}
        pairs: dict[str, str] = {}
        for item in (i for i in text.split(",") if i.strip()):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InvalidInput(f"{name} takes key=value pairs separated by commas, not {item.strip()!r}", where)
            pairs[key.strip()] = value.strip()
        return pairs
    if origin is Literal or type_ is str:
        return text  # as typed: "2" stays the text "2"
    if type(None) in typing.get_args(type_):  # an optional text: empty is none
        return text or None
    return text


def _json(name: str, text: str, kind: type) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{name}: not valid JSON ({exc})", f"$.settings.{name}") from None
    if not isinstance(value, kind):
        raise InvalidInput(f"{name} takes a JSON {'array' if kind is list else 'object'}", f"$.settings.{name}")
    return value


def _split(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"{option} expects KEY=VALUE, got {item!r}")
    return key.strip(), value


def settings_patch(current: TenantSettings, merged: list[str] | None, replaced: list[str] | None) -> dict[str, Any]:
    """The ``settings`` patch for ``--setting`` (``merged``) and ``--replace-setting``
    (``replaced``) items, against the tenant's ``current`` settings (the defaults for a new
    tenant): each value in its setting's type, maps merged into the current map unless
    replaced."""
    types = setting_types()
    now = msgspec.to_builtins(current)
    patch: dict[str, Any] = {}
    for item in replaced or []:
        name, text = _split(item, "--replace-setting")
        if name not in types:
            raise _unknown(name, types)
        if not is_map(types[name]):
            maps = ", ".join(n for n, t in types.items() if is_map(t))
            raise InvalidInput(f"--replace-setting is for maps ({maps}); set {name} with --setting",
                               f"$.settings.{name}")
        patch[name] = coerce(name, text, types[name])
    for item in merged or []:
        key, text = _split(item, "--setting")
        name, dot, entry = key.partition(".")
        if name not in types:
            raise _unknown(name, types)
        type_ = types[name]
        if dot and not is_map(type_):
            raise InvalidInput(f"{name} is not a map: set it as {name}=VALUE", f"$.settings.{name}")
        if not is_map(type_):
            patch[name] = coerce(name, text, type_)
            continue
        target = patch.setdefault(name, dict(now[name]))
        if dot:
            if not entry:
                raise InvalidInput(f"{key}: name the entry, as in {name}.KEY=VALUE", f"$.settings.{name}")
            if text.strip():
                target[entry] = text.strip()
            else:  # an empty value removes the entry
                target.pop(entry, None)
        else:
            target.update(coerce(name, text, type_))
    return patch
