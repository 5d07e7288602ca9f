"""Specter's wire format, as pure functions: requests out, answers in. No HTTP here.

Requests are Latin-1, percent-encoded. Answers are Latin-1 text (``result;id;other``) or XML.
Specter's XML puts some values in attributes and some in child elements, and not all of it is
public, so every value is read from either place (:func:`_get`), with names matched
case-insensitively, and elements are found at any depth.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import quote_plus

import msgspec

from gateway.model import Article, ArticleGroup, OrderStatusUpdate, StockLevel
from gateway.settings import SpecterAccount
from gateway.specter.actions import Action, signed_value
from gateway.specter.errors import BadAnswer, error_for
from gateway.specter.signing import latin1, sign

TEXT = 1  # useXML=1: semicolon text
XML = 2  # useXML=2: XML

PRICE_PLACES = 2  # article prices
ROW_PLACES = 3  # order row prices and quantities
WEIGHT_PLACES = 3

# Article types Specter keeps stock of.
STOCK_KEPT_TYPES = frozenset({"GW", "PA"})

Params = Mapping[str, str] | Iterable[tuple[str, str]]


# --- Requests -------------------------------------------------------------------------------------


def _pairs(params: Params) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def encode_form(params: Params) -> str:
    """``application/x-www-form-urlencoded`` over Latin-1 bytes; also used for query strings.

    A value Latin-1 cannot hold raises :class:`EncodingProblem` naming its field."""
    return "&".join(
        f"{quote_plus(latin1(name, 'field name'))}={quote_plus(latin1(value, name))}"
        for name, value in _pairs(params)
    )


def build_query(
    account: SpecterAccount, action: Action, params: Params, *, use_xml: int, form: Params = ()
) -> list[tuple[str, str]]:
    """The query string parameters of a call: the header parameters, the signature, then
    ``params``. The signed value is looked up in ``params`` and ``form`` together."""
    params, form = _pairs(params), _pairs(form)
    value = signed_value(action, dict(form) | dict(params))
    key = sign(account.sbm_id, account.user_key, account.integration_key, value)
    query = [("action", action.name), ("sbmId", str(account.sbm_id))]
    if account.api_version == 2:  # API version 1 has no API user
        query.append(("apiUserId", account.api_user_id))
    query += [("key", key), ("useXML", str(use_xml))]
    return query + params


# --- Numbers --------------------------------------------------------------------------------------


def format_number(value: Decimal | int | str, places: int) -> str:
    """A dot and exactly ``places`` decimals, rounded half up: ``format_number(12.5, 2) == "12.50"``."""
    number = parse_decimal(value) if isinstance(value, str) else Decimal(value)
    return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def format_quantity(value: Decimal) -> str:
    """Whole quantities as ``"2"``, fractions (metres, kilos) with up to three decimals."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(Decimal("0.001")).normalize())


def parse_decimal(text: str, what: str = "number") -> Decimal:
    """Specter's numbers, with a decimal comma or dot: ``"12,50"`` is ``Decimal("12.50")``."""
    cleaned = text.strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: {text!r} is not a number")
    return number


# --- Answers --------------------------------------------------------------------------------------


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or "<html" in head


def decode_text(body: bytes, action: str = "") -> str:
    """A text answer; an HTML page (a proxy's error page, a login form) is not Specter's."""
    text = body.decode("latin-1")
    if _looks_like_html(text):
        raise BadAnswer(f"an HTML page instead of an answer: {text.strip()[:120]!r}", action=action)
    return text


class TextAnswer(msgspec.Struct, frozen=True):
    """A successful ``1;id;other…`` answer."""

    id: str = ""
    other: list[str] = []


def raise_text_error(text: str, action: str = "") -> None:
    """Raise for ``0;CODE;message``. Specter ids are never 0, so a first field of 0 is an error."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    result, _, rest = first_line.partition(";")
    if result.strip() == "0":
        code, _, message = rest.partition(";")
        raise error_for(code, message, action=action)


def parse_text_answer(body: bytes, action: str = "") -> TextAnswer:
    """A ``result;id;other`` answer; an error answer (text or XML) raises."""
    if body.lstrip().startswith(b"<"):
        parse_xml(body, action)  # raises on an error or HTML; a success in XML is unexpected
        raise BadAnswer("an XML answer where text was asked for", action=action)
    text = decode_text(body, action).strip()
    raise_text_error(text, action)
    result, *fields = text.split(";")
    if result.strip() != "1":
        raise BadAnswer(f"unexpected answer {text[:120]!r}", action=action)
    return TextAnswer(id=fields[0].strip() if fields else "", other=[f.strip() for f in fields[1:]])


def check_ack(body: bytes, action: str = "") -> None:
    """An acknowledgement's answer (often just ``1``, or empty): only an error matters."""
    if body.lstrip().startswith(b"<"):
        parse_xml(body, action)
    else:
        raise_text_error(decode_text(body, action), action)


_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=", re.IGNORECASE)


def parse_xml(body: bytes, action: str = "") -> ET.Element:
    """An XML answer's root; an ``APIresponse`` with result 0 raises its error.

    The declaration's encoding is honoured; without one the answer is taken as Latin-1 (XML's
    own default would be UTF-8, which Specter does not send)."""
    if _looks_like_html(body[:300].decode("latin-1")):
        raise BadAnswer(f"an HTML page instead of an answer: {body.strip()[:120]!r}", action=action)
    try:
        if _DECLARED_ENCODING.match(body):
            root = ET.fromstring(body)
        else:
            parser = ET.XMLParser(encoding="iso-8859-1")
            parser.feed(body)
            root = parser.close()
    except ET.ParseError as exc:
        raise BadAnswer(f"not XML ({exc}): {body.strip()[:120]!r}", action=action) from None
    status = root if _is(root, "APIresponse") else next(_all(root, "APIresponse"), root)
    result, code = _get(status, "result"), _get(status, "code")
    # Public integrations look only at the code (99) in the XML status; take either sign.
    if result == "0" or (result is None and code not in (None, "", "0", "1")):
        raise error_for(code or "", _get(status, "message") or "", action=action)
    return root


# --- XML helpers ----------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _is(el: ET.Element, name: str) -> bool:
    return isinstance(el.tag, str) and _local(el.tag) == name.lower()


def _all(el: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every element called ``name`` below ``el`` (not ``el`` itself), at any depth."""
    return (e for e in el.iter() if e is not el and _is(e, name))


def _get(el: ET.Element, *names: str) -> str | None:
    """The first of ``names`` found as an attribute or a child element of ``el``, stripped."""
    wanted = [n.lower() for n in names]
    attrs = {k.rsplit("}", 1)[-1].lower(): v for k, v in el.attrib.items()}
    children: dict[str, ET.Element] = {}
    for child in el:
        if isinstance(child.tag, str):
            children.setdefault(_local(child.tag), child)
    for name in wanted:
        if name in attrs:
            return attrs[name].strip()
        if name in children:
            return (children[name].text or "").strip()
    return None


def _decimal(el: ET.Element, name: str) -> Decimal | None:
    raw = _get(el, name)
    if not raw:
        return None
    try:
        return parse_decimal(raw, name)
    except ValueError as exc:
        raise BadAnswer(str(exc)) from None


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "y", "ja")


def _found_flag(root: ET.Element, name: str) -> bool:
    """A flag such as ``moreInfoToFetch`` as an element anywhere or an attribute of the root."""
    el = next(_all(root, name), None)
    return _flag(el.text if el is not None else _get(root, name))


# --- Stock ----------------------------------------------------------------------------------------


class StockChange(msgspec.Struct, frozen=True):
    """An article's available quantity as Specter reports it, on one stock site ("" when the
    answer is not per site)."""

    article_no: str
    available: int
    specter_id: str = ""
    stock_site: str = ""


NO_ITEMS = "noitemsavailable"


def _amount(raw: str | None, article_no: str) -> int:
    if raw is None or raw.strip().lower() in ("", NO_ITEMS):
        return 0
    try:
        return int(parse_decimal(raw, f"stock of {article_no}"))  # whole items; fractions dropped
    except ValueError as exc:
        raise BadAnswer(str(exc)) from None


def parse_stock_text(body: bytes, action: str = "") -> list[StockChange]:
    """Lines ``specterId;articleNo;amount;batchId``, separated by CR (or CRLF, or LF)."""
    text = decode_text(body, action)
    raise_text_error(text, action)
    changes = []
    for line in re.split(r"\r\n|\r|\n", text):
        fields = [f.strip() for f in line.split(";")]
        if len(fields) < 3:
            if line.strip() and fields[0] != "1":  # "1;…" is a status line, not a stock line
                raise BadAnswer(f"stock line {line[:120]!r} is not specterId;articleNo;amount", action=action)
            continue
        specter_id, article_no, amount = fields[:3]
        if article_no:
            changes.append(StockChange(article_no, _amount(amount, article_no), specter_id))
    return changes


_SITE_NAMES = ("stockSiteId", "stocksite", "stockSiteNo", "siteId", "id", "name")


def parse_stock_xml(root: ET.Element) -> list[StockChange]:
    """``stockChanges/stock/articles/article/{articleNo,noItemsAv}``, one ``stock`` per site.

    The site's id is taken from the ``stock`` element's ``stockSiteId`` (or a like-named)
    attribute or child; an answer without ``stock`` elements is read as one unnamed site."""
    sites = list(_all(root, "stock")) or [root]
    changes = []
    for stock in sites:
        site = (_get(stock, *_SITE_NAMES) or "") if stock is not root else ""
        for article in _all(stock, "article"):
            article_no = _get(article, "articleNo") or ""
            if article_no:
                amount = _amount(_get(article, "noItemsAv", "noItemsAvailable"), article_no)
                changes.append(StockChange(article_no, amount, _get(article, "specterId", "id") or "", site))
    return changes


def sum_stock(changes: Iterable[StockChange], sites: Iterable[str] = ()) -> list[StockLevel]:
    """Available stock per article, summed over ``sites`` (empty: over every site)."""
    only = set(sites)
    totals: dict[str, StockLevel] = {}
    for change in changes:
        if only and change.stock_site not in only:
            continue
        before = totals.get(change.article_no)
        totals[change.article_no] = StockLevel(
            article_no=change.article_no,
            available=change.available + (before.available if before else 0),
            specter_id=change.specter_id or (before.specter_id if before else ""),
        )
    return list(totals.values())


# --- Article data ---------------------------------------------------------------------------------


class ArticleInfo(msgspec.Struct, frozen=True):
    """An article as Specter sends it, with what the domain Article has no field for."""

    article: Article
    article_type: str = ""
    commodity_code: str = ""
    publish_in_webshop: bool | None = None  # None: Specter did not say


class ArticleInfoPage(msgspec.Struct, frozen=True):
    items: list[ArticleInfo]
    more: bool  # as many came as responseMaxLimit allows: read again after acknowledging
    max_limit: int | None = None

    @property
    def articles(self) -> list[Article]:
        return [item.article for item in self.items]


def _group(el: ET.Element) -> ArticleGroup | None:
    nested = next(_all(el, "articleGroup"), None)
    if nested is not None and (code := _get(nested, "code", "id", "articleGroupCode")):
        return ArticleGroup(code=code, name=_get(nested, "name", "articleGroupName") or "")
    code = _get(el, "articleGroupCode", "articleGroupId", "groupCode")
    if nested is not None and not code:
        code = (nested.text or "").strip()  # <articleGroup>CODE</articleGroup>
    if not code:
        return None
    return ArticleGroup(code=code, name=_get(el, "articleGroupName", "groupName") or "")


def parse_article(el: ET.Element) -> ArticleInfo:
    price, old_price = _decimal(el, "priceExclVat"), _decimal(el, "standardOldPrice")
    on_sale = _flag(_get(el, "showStandardOldPrice")) and old_price is not None
    article_type = (_get(el, "articleType") or "").upper()
    publish = _get(el, "publishInWebshop")
    published = None if publish is None else _flag(publish)
    article = Article(
        article_no=_get(el, "articleNo") or "",
        name=_get(el, "name") or "",
        # On sale, priceExclVat is the sale price and standardOldPrice the ordinary price.
        price_ex_vat=old_price if on_sale else price,
        sale_price_ex_vat=price if on_sale else None,
        vat_percent=_decimal(el, "vatPercent"),
        weight_kg=_decimal(el, "productWeight"),
        barcode=_get(el, "barCode") or "",
        buy_price=_decimal(el, "buyPrice"),
        description=_get(el, "description") or "",
        short_description=_get(el, "shortDescription") or "",
        manage_stock=article_type in STOCK_KEPT_TYPES if article_type else True,
        group=_group(el),
        specter_id=_get(el, "specterId", "articleId") or None,
        published=published,
    )
    return ArticleInfo(
        article,
        article_type=article_type,
        commodity_code=_get(el, "commodityCode") or "",
        publish_in_webshop=published,
    )


def parse_article_infos(root: ET.Element) -> ArticleInfoPage:
    """``articles/article`` and ``responseMaxLimit``: as many as the limit means more wait."""
    items = [parse_article(el) for el in _all(root, "article")]
    limit_el = next(_all(root, "responseMaxLimit"), None)
    raw = limit_el.text if limit_el is not None else _get(root, "responseMaxLimit")
    limit = int(parse_decimal(raw, "responseMaxLimit")) if raw and raw.strip() else None
    return ArticleInfoPage(items=items, more=limit is not None and 0 < limit <= len(items), max_limit=limit)


# --- Order status ---------------------------------------------------------------------------------

DELIVERED_STATUS = "D"  # orderstatus@deliveryStatus
DELETED_STATUS_ID = "5"  # orderstatus@statusId


class OrderChangesPage(msgspec.Struct, frozen=True):
    updates: list[OrderStatusUpdate]
    more: bool  # moreInfoToFetch: read again after acknowledging


def parse_order(el: ET.Element) -> OrderStatusUpdate:
    status = next(_all(el, "orderstatus"), None)
    delivery_status = (_get(status, "deliveryStatus") or "") if status is not None else ""
    status_id = (_get(status, "statusId") or "") if status is not None else ""
    tracking: list[str] = []
    for delivery in _all(el, "delivery"):
        number = _get(delivery, "trackingNo")
        if number and number not in tracking:
            tracking.append(number)
    return OrderStatusUpdate(
        specter_order_no=_get(el, "orderNo") or "",
        external_order_no=_get(el, "externalOrderNo") or "",
        delivered=delivery_status.upper() == DELIVERED_STATUS,
        deleted=status_id == DELETED_STATUS_ID,
        tracking_numbers=tracking,
        status_id=status_id,
        delivery_status=delivery_status,
    )


def parse_order_changes(root: ET.Element) -> OrderChangesPage:
    """``orders/order[@orderNo]`` with status, deliveries and ``moreInfoToFetch``."""
    updates = [parse_order(el) for el in _all(root, "order")]
    updates = [u for u in updates if u.specter_order_no]
    return OrderChangesPage(updates=updates, more=_found_flag(root, "moreInfoToFetch"))
