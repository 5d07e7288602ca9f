"""How the fake shop writes: PHP ``json_encode`` bodies, WooCommerce's money strings and its
error answers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web

CENT = Decimal("0.01")


def php_json(obj: Any) -> str:
    """PHP json_encode output: ASCII with \\u escapes and escaped slashes."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=json_number).replace("/", "\\/")


def json_number(value: Any) -> Any:
    if isinstance(value, Decimal):  # line_items[].price: a JSON number, 89 or 80.1
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def money2(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def trimmed(value: Decimal) -> str:
    """wc_format_decimal without padding: "37.7", "44.775"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def modified_after(previous: str) -> str:
    """The modification time of a write: now, but always after the previous one, since a real
    shop's writes come at least a second apart and every one of them (meta included) moves it."""
    later = dt.datetime.fromisoformat(previous).replace(tzinfo=dt.UTC) + dt.timedelta(seconds=1)
    return max(now(), later.strftime("%Y-%m-%dT%H:%M:%S"))


def error(status: int, code: str, message: str, **data: Any) -> web.Response:
    return json_response({"code": code, "message": message, "data": {"status": status, **data}}, status)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=php_json(obj), status=status, headers=headers,
                        content_type="application/json", charset="UTF-8")


class InvalidRequest(Exception):
    """A request WooCommerce refuses, with its error body (answered by the REST middleware)."""

    def __init__(self, status: int, code: str, message: str, **data: Any):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "data": {"status": status, **data}}

    @property
    def response(self) -> web.Response:
        return json_response(self.body, self.status)

