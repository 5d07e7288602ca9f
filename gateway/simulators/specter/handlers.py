"""Specter's actions: read the parameters, check them as Specter does, change the state and
answer. ``ACTIONS`` says for each action (lower-cased) which endpoints take it and which value
its ``key`` signs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .model import DEFAULT_SITE, Article, Code, OrderRow, SpecterError
from .state import TRIGGERS, AccountState, ArticleInput
from .wire import Answer, Params, attr, comma, decimal, element, integer

GET, PUT = "getInfo", "putInfo"
MAX_ARTICLES = 100
DEFAULT_LIMIT = 100
_ARTICLE_NO = re.compile(r"^[A-Za-z0-9_\-]+$")

CUSTOMER_LIMITS = {
    "name": 100,
    "emailAddress": 100,
    "firstName": 50,
    "surName": 50,
    "orgNo": 20,
    "vatNo": 30,
    "phoneNo": 50,
    "mobileNo": 50,
    "homepage": 50,
}
ORDER_LIMITS = {"customerOrderReference": 50, "externalDeliveryMethod": 100}
ARTICLE_NAME_MAX = 140


def _required(p: Params, name: str) -> str:
    value = p.get(name).strip()
    if not value:
        raise SpecterError(Code.MISSING, f"{name} is required")
    return value


def _check_limits(p: Params, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        if len(p.get(name)) > limit:
            raise SpecterError(Code.INVALID, f"{name}: longer than {limit} characters")


def _limit(p: Params) -> int:
    raw = p.get("responseMaxLimit") or p.get("limit")
    limit = integer(raw, "responseMaxLimit") if raw else DEFAULT_LIMIT
    if limit < 1:
        raise SpecterError(Code.INVALID, "responseMaxLimit: must be at least 1")
    return limit


# -- customers -------------------------------------------------------------------------------


def customer_name_candidates(p: Params) -> tuple[str, ...]:
    """The signed customer name: the company name, else "First Last" (also taken stripped)."""
    if p.get("name"):
        return (p.get("name"),)
    full = f"{p.get('firstName')} {p.get('surName')}"
    return tuple(dict.fromkeys((full, full.strip())))


def new_customer(acc: AccountState, p: Params) -> Answer:
    _check_limits(p, CUSTOMER_LIMITS)
    email = _required(p, "emailAddress")
    name = customer_name_candidates(p)[-1]
    if not name:
        raise SpecterError(Code.MISSING, "name or firstName/surName is required")
    customer_id = acc.submit_customer(
        name,
        email,
        p.get("orgNo").strip(),
        p.verbatim(),
        match_email=not p.flag("ignoreControlEmail"),
        match_org_no=not p.flag("ignoreControlOrgNo"),
    )
    return Answer((customer_id,), element("id", customer_id))


# -- articles --------------------------------------------------------------------------------


def _article_no_problem(article_no: str) -> str | None:
    if _ARTICLE_NO.match(article_no):
        return None
    bad = sorted({c for c in article_no if not _ARTICLE_NO.match(c)})
    return ", ".join("space" if c == " " else repr(c) for c in bad)


_ARTICLE_FIELDS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    # wire name (lower-case) -> (Article attribute, reader)
    "name": ("name", lambda v, f: v),
    "priceexclvat": ("price_ex_vat", decimal),
    "vatpercent": ("vat_percent", decimal),
    "productweight": ("weight_kg", decimal),
    "barcode": ("barcode", lambda v, f: v),
    "buyprice": ("buy_price", decimal),
}


def _article_input(n: int, row: dict[str, str], p: Params) -> ArticleInput:
    article_no = row.get("articleno", "").strip()
    if not article_no:
        raise SpecterError(Code.MISSING, f"articleNo_{n} is required")
    if (bad := _article_no_problem(article_no)) is not None:
        raise SpecterError(Code.INVALID, f"articleNo_{n}: {article_no!r} holds characters Specter cannot take ({bad})")
    if len(row.get("name", "")) > ARTICLE_NAME_MAX:
        raise SpecterError(Code.INVALID, f"name_{n}: longer than {ARTICLE_NAME_MAX} characters")
    values = {
        attr_name: read(row[wire], f"{wire}_{n}")
        for wire, (attr_name, read) in _ARTICLE_FIELDS.items()
        if wire in row and row[wire] != ""
    }
    initial = None
    if row.get("createarticlestock") == "1":
        initial = integer(row.get("noitemsinstock") or "0", f"noItemsInStock_{n}")
    header = {name: p.get(name) for name in ("webshopId", "stocksiteid") if p.has(name)}
    return ArticleInput(article_no, values, initial, p.get("stocksiteid") or DEFAULT_SITE, {**header, **row})


def new_articles(acc: AccountState, p: Params) -> Answer:
    """Answer ``1;<specterId of the first>;<all specterIds, comma-separated, in request order>``."""
    rows = p.rows()
    if not rows:
        raise SpecterError(Code.MISSING, "articleNo_1 is required")
    if len(rows) > MAX_ARTICLES:
        raise SpecterError(Code.TOO_MANY, f"at most {MAX_ARTICLES} articles per request, got {len(rows)}")
    inputs = [_article_input(n, row, p) for n, row in rows.items()]  # all checked before any is stored
    ids = acc.submit_articles(inputs, force=p.flag("forceArticleUpdate"))
    return Answer((ids[0], ",".join(ids)), element("id", ids[0]) + element("ids", ",".join(ids)))


def delete_article(acc: AccountState, p: Params) -> Answer:
    specter_id = acc.delete_article(_required(p, "articleNo"))
    return Answer((specter_id,), element("id", specter_id))


# -- orders ----------------------------------------------------------------------------------


def _order_row(n: int, row: dict[str, str]) -> OrderRow:
    article_no = row.get("articleno", "").strip()
    if not article_no:
        raise SpecterError(Code.MISSING, f"articleNo_{n} is required")
    return OrderRow(
        article_no=article_no,
        name=row.get("articlename", ""),
        price_ex_vat=decimal(row.get("priceexclvat") or "0", f"priceExclVAT_{n}"),
        quantity=decimal(row.get("noofitems") or "1", f"noOfItems_{n}"),
        vat_percent=decimal(row.get("vatpercent") or "0", f"vatPercent_{n}"),
        comment=row.get("articlecomment", ""),
    )


def new_order(acc: AccountState, p: Params) -> Answer:
    """Answer ``1;orderId;orderNo``."""
    customer_id = _required(p, "customerId")
    _check_limits(p, ORDER_LIMITS)
    rows = {n: _order_row(n, row) for n, row in p.rows().items()}
    order = acc.submit_order(
        customer_id,
        p.get("externalOrderNo").strip(),
        rows,
        p.verbatim(),
        site=p.get("stocksiteid").strip(),
        allow_duplicate=p.flag("ignoreExternalOrderNoControl"),
    )
    return Answer((order.order_id, order.order_no), element("id", order.order_id) + element("orderNo", order.order_no))


def delete_order(acc: AccountState, p: Params) -> Answer:
    order = acc.delete_order_by_external(_required(p, "externalOrderNo"))
    return Answer((order.order_id,), element("id", order.order_id))


def new_delivery(acc: AccountState, p: Params) -> Answer:
    order = acc.order(_required(p, "orderId"))
    acc.deliver(order, p.get("trackingNo").strip())
    return Answer((order.order_id,), element("id", order.order_id))


def new_invoice(acc: AccountState, p: Params) -> Answer:
    invoice_id = acc.create_invoice(acc.order(_required(p, "orderId")), p.get("invoiceSource"))
    return Answer((invoice_id,), element("id", invoice_id))


# -- callbacks -------------------------------------------------------------------------------


def check_account_settings(acc: AccountState, p: Params) -> Answer:
    """Register callback URLs; a trigger sent empty is turned off, one not sent is kept."""
    for trigger in TRIGGERS:
        if p.has(trigger):
            if url := p.get(trigger).strip():
                acc.callback_urls[trigger] = url
            else:
                acc.callback_urls.pop(trigger, None)
    sbm_id = str(acc.account.sbm_id)
    return Answer((sbm_id,), element("sbmId", sbm_id))


# -- the pull-and-acknowledge flows ----------------------------------------------------------------


def _acked(batch_no: str, count: int) -> Answer:
    return Answer((batch_no, str(count)), element("batchNo", batch_no) + element("count", count))


def read_stock(acc: AccountState, p: Params) -> Answer:
    """Every flagged article; text lines ``specterId;articleNo;amount;batchNo`` joined by CR, or
    XML (useXML=2), per stock site with ``getMultipleStocksites=1``. Amounts are available
    quantities (XML: as they are, possibly negative; text: ``noItemsAvailable`` when <= 0)."""
    batch_no = _required(p, "batchNo")
    batch = acc.stock_flow.read(batch_no, None, acc.stock_view)
    if p.get("useXML") != "2":
        lines = []
        for article_no, _, (specter_id, by_site) in batch.items:
            total = sum(by_site.values())
            lines.append(f"{specter_id};{article_no};{total if total > 0 else 'noItemsAvailable'};{batch_no}")
        return Answer(text="\r".join(lines))
    if p.flag("getMultipleStocksites"):
        sites: dict[str, list[str]] = {}
        for article_no, _, (specter_id, by_site) in batch.items:
            for site, amount in by_site.items():
                sites.setdefault(site, []).append(_stock_article(specter_id, article_no, amount))
        stocks = "".join(
            f'<stock stockSiteId="{attr(site)}"><articles>{"".join(arts)}</articles></stock>'
            for site, arts in sorted(sites.items())
        )
    else:
        arts = [_stock_article(sid, no, sum(by_site.values())) for no, _, (sid, by_site) in batch.items]
        stocks = f"<stock><articles>{''.join(arts)}</articles></stock>" if arts else ""
    return Answer(xml=element("batchNo", batch_no) + f"<stockChanges>{stocks}</stockChanges>")


def _stock_article(specter_id: str, article_no: str, amount: int) -> str:
    return (
        f"<article>{element('specterId', specter_id)}{element('articleNo', article_no)}"
        f"<noItemsAv>{amount}</noItemsAv></article>"
    )


def ack_stock(acc: AccountState, p: Params) -> Answer:
    batch_no = _required(p, "batchNo")
    return _acked(batch_no, acc.stock_flow.ack(batch_no))


def clear_stock_batch(acc: AccountState, p: Params) -> Answer:
    """``clearSelf=1``: close the stuck stock batch; what it held stays flagged."""
    old = acc.stock_flow.clear()
    return Answer((old,), element("batchNo", old))


def _article_xml(a: Article) -> str:
    return (
        "<article>"
        + element("specterId", a.specter_id)
        + element("articleNo", a.article_no)
        + element("name", a.name)
        + element("priceExclVat", comma(a.price_ex_vat))
        + element("buyPrice", comma(a.buy_price))
        + element("barCode", a.barcode)
        + element("productWeight", comma(a.weight_kg, 3))
        + element("vatPercent", comma(a.vat_percent))
        + element("standardOldPrice", comma(a.standard_old_price))
        + element("showStandardOldPrice", int(a.standard_old_price is not None))
        + element("articleType", a.article_type)
        + element("commodityCode", a.commodity_code)
        + element("description", a.description)
        + element("shortDescription", a.short_description)
        + element("publishInWebshop", int(a.publish_in_webshop))
        + f"<articleGroup>{element('code', a.group_code)}{element('name', a.group_name)}</articleGroup>"
        + "</article>"
    )


def read_article_info(acc: AccountState, p: Params) -> Answer:
    """At most ``responseMaxLimit`` changed articles; as many as the limit means more wait."""
    batch_no, limit = _required(p, "batchNo"), _limit(p)
    # The payload is the article's XML as it was at the read, so a re-read answers the same.
    batch = acc.info_flow.read(batch_no, limit, lambda no: _article_xml(acc.articles[no]))
    articles = "".join(xml for _, _, xml in batch.items)
    xml = element("batchNo", batch_no) + element("responseMaxLimit", limit) + f"<articles>{articles}</articles>"
    return Answer(xml=xml, xml_only=True)


def ack_article_info(acc: AccountState, p: Params) -> Answer:
    batch_no = _required(p, "batchNo")
    return _acked(batch_no, acc.info_flow.ack(batch_no))


def read_orders(acc: AccountState, p: Params) -> Answer:
    batch_no, limit = _required(p, "batchNo"), _limit(p)
    batch = acc.order_flow.read(batch_no, limit, acc.order_view)
    orders = []
    for _, _, o in batch.items:
        deliveries = "".join(f'<delivery trackingNo="{attr(t)}"/>' for t in o.tracking_numbers)
        orders.append(
            f'<order orderNo="{attr(o.order_no)}" externalOrderNo="{attr(o.external_order_no)}">'
            f'<orderstatus deliveryStatus="{attr(o.delivery_status)}" statusId="{attr(o.status_id)}"/>'
            f"<deliveries>{deliveries}</deliveries></order>"
        )
    more = int(acc.order_flow.more_waiting(batch))
    xml = element("batchNo", batch_no) + element("moreInfoToFetch", more) + f"<orders>{''.join(orders)}</orders>"
    return Answer(xml=xml, xml_only=True)


def ack_orders(acc: AccountState, p: Params) -> Answer:
    batch_no = _required(p, "batchNo")
    return _acked(batch_no, acc.order_flow.ack(batch_no))


# -- the action table --------------------------------------------------------------------------

Signed = Callable[[Params], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    endpoints: frozenset[str]
    signed: Signed  # the values a valid key may sign
    handler: Callable[[AccountState, Params], Answer]


def _param(name: str) -> Signed:
    return lambda p: (p.get(name),)


_BOTH = frozenset({GET, PUT})  # the inferred actions: accept either endpoint
_READ = frozenset({GET})
_WRITE = frozenset({PUT})

ACTIONS: dict[str, ActionSpec] = {
    name.lower(): spec
    for name, spec in {
        "newCustomerSubmit": ActionSpec(_WRITE, customer_name_candidates, new_customer),
        "newArticleSubmit": ActionSpec(_WRITE, _param("articleNo_1"), new_articles),
        "newOrderSubmit": ActionSpec(_WRITE, _param("customerId"), new_order),
        "deleteArticle": ActionSpec(_BOTH, _param("articleNo"), delete_article),
        "deleteOrder": ActionSpec(_BOTH, _param("externalOrderNo"), delete_order),
        "newDeliverySubmit": ActionSpec(_BOTH, _param("orderId"), new_delivery),
        "newInvoiceSubmit": ActionSpec(_BOTH, _param("orderId"), new_invoice),
        "checkAccountSettings": ActionSpec(_READ, _param("date"), check_account_settings),
        "getArticleExternalNeedUpdate": ActionSpec(_READ, _param("batchNo"), read_stock),
        "updateArticlesFromBatch": ActionSpec(_READ, _param("batchNo"), ack_stock),
        "clearArticleBatch": ActionSpec(_READ, _param("batchNo"), clear_stock_batch),
        "getArticleInfoExternalNeedUpdate": ActionSpec(_READ, _param("batchNo"), read_article_info),
        "updateArticleInfosFromBatch": ActionSpec(_READ, _param("batchNo"), ack_article_info),
        "getOrdersExternalNeedUpdate": ActionSpec(_READ, _param("batchNo"), read_orders),
        "updateOrdersFromBatch": ActionSpec(_READ, _param("batchNo"), ack_orders),
    }.items()
}
