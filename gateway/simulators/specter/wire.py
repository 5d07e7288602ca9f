"""Specter's wire format: Latin-1 request parameters in, ``1;…`` / ``0;CODE;message`` or
``<APIresponse>`` XML out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .model import Code, SpecterError

TEXT_TYPE = "text/plain; charset=ISO-8859-1"
XML_TYPE = "text/xml; charset=ISO-8859-1"
XML_HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>'

_INDEXED = re.compile(r"^(.+)_(\d+)$")


def parse_pairs(raw: str) -> list[tuple[str, str]]:
    """Percent-decoded pairs of a query string or form body, read as Latin-1 (as Specter does)."""
    return parse_qsl(raw, keep_blank_values=True, encoding="latin-1", errors="strict")


class Params:
    """Request parameters; names are case-insensitive, as in Specter's classic ASP."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs
        self._by_name = {name.lower(): value for name, value in pairs}
        self._rows: dict[int, dict[str, str]] | None = None

    def get(self, name: str, default: str = "") -> str:
        return self._by_name.get(name.lower(), default)

    def has(self, name: str) -> bool:
        return name.lower() in self._by_name

    def flag(self, name: str) -> bool:
        return self.get(name).strip().lower() in ("1", "true", "yes")

    def rows(self) -> dict[int, dict[str, str]]:
        """Indexed fields (``articleNo_3``) grouped by index, names lower-cased without the index."""
        if self._rows is None:
            rows: dict[int, dict[str, str]] = {}
            for name, value in self.pairs:
                m = _INDEXED.match(name)
                if m:
                    rows.setdefault(int(m[2]), {})[m[1].lower()] = value
            self._rows = dict(sorted(rows.items()))
        return self._rows

    def verbatim(self) -> dict[str, str]:
        """Everything received except the signature, under the names it was sent with."""
        return {name: value for name, value in self.pairs if name.lower() != "key"}


def decimal(value: str, field: str) -> Decimal:
    """A number sent with a decimal point or comma."""
    try:
        return Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise SpecterError(Code.INVALID, f"{field}: {value!r} is not a number") from None


def integer(value: str, field: str) -> int:
    number = decimal(value, field)
    if number != number.to_integral_value():
        raise SpecterError(Code.INVALID, f"{field}: {value!r} is not a whole number")
    return int(number)


def comma(value: Decimal | None, places: int = 2) -> str:
    """A number with a decimal comma, as Specter answers (``12,50``); '' for none."""
    return "" if value is None else f"{value:.{places}f}".replace(".", ",")


def element(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def attr(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


@dataclass(slots=True)
class Answer:
    """A successful answer, in whichever forms the action supports."""

    values: tuple[str, ...] = ()  # text: "1;" + ";".join(values)
    xml: str = ""  # the payload after <result>1</result>
    text: str | None = None  # a whole text body instead of "1;…" (the stock lines)
    xml_only: bool = False  # the action answers XML whatever useXML says


def render(answer: Answer, use_xml: bool) -> tuple[bytes, str]:
    if use_xml or answer.xml_only:
        body = f"{XML_HEAD}<APIresponse><result>1</result>{answer.xml}</APIresponse>"
        return body.encode("latin-1", "xmlcharrefreplace"), XML_TYPE
    text = answer.text if answer.text is not None else ";".join(("1", *answer.values))
    return text.encode("latin-1", "replace"), TEXT_TYPE


def render_error(error: SpecterError, use_xml: bool) -> tuple[bytes, str]:
    if use_xml:
        body = (
            f"{XML_HEAD}<APIresponse><result>0</result>"
            f"{element('code', int(error.code))}{element('message', error.message)}</APIresponse>"
        )
        return body.encode("latin-1", "xmlcharrefreplace"), XML_TYPE
    # The message must not break the semicolon format.
    message = error.message.replace(";", ",").replace("\r", " ").replace("\n", " ")
    return f"0;{int(error.code)};{message}".encode("latin-1", "replace"), TEXT_TYPE
