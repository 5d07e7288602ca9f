"""A rule set as a file: JSON, or TOML (``[[rules]]`` tables) for people who keep it in version
control by hand. Written out as JSON, the form the admin API speaks."""

from __future__ import annotations

import tomllib
from typing import Any

import msgspec

from gateway.model import InvalidInput
from gateway.rules.check import load
from gateway.rules.language import RuleSet


def parse(text: bytes | str, name: str = "") -> RuleSet:
    """A checked rule set from a JSON or TOML document (TOML when ``name`` ends in .toml, or
    when the text is no JSON object)."""
    raw = text.decode() if isinstance(text, bytes) else text
    data: Any
    if name.endswith(".toml") or not raw.lstrip().startswith("{"):
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{name or 'the rule set'} is neither a JSON object nor TOML: {exc}") from None
    else:
        try:
            data = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise InvalidInput(f"{name or 'the rule set'} is not valid JSON: {exc}") from None
    return load(data)


def dump(rules: RuleSet) -> dict[str, Any]:
    """The rule set as plain JSON-able data (numbers as text, as the model keeps money)."""
    data: dict[str, Any] = msgspec.to_builtins(rules)
    return data
