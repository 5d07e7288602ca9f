"""The control API: JSON over HTTP for tests, demos and benchmarks to act as a Specter user
would and to look inside. No Specter key is needed. ``{sbmId}`` picks the account; orders are
addressed by their Specter order number (``orderNo``).

Acting in Specter (each flags and calls back as Specter would):
    POST  /_control/{sbmId}/articles             {"articleNo", "name", "priceExclVat", "vatPercent",
                                                   "buyPrice", "productWeight", "barCode",
                                                   "standardOldPrice", "articleType", "commodityCode",
                                                   "description", "shortDescription",
                                                   "publishInWebshop", "groupCode", "groupName",
                                                   "stock": {"1": 10}}  or a list of them;
                                                   creates or changes articles; changed data flags
                                                   article info, "stock" flags stock
    PATCH /_control/{sbmId}/articles/{articleNo}  the same fields, for one article
    POST  /_control/{sbmId}/service-articles     {"articleNo": "FRAKT", "name": ...} or a list:
                                                   articles without stock (type TJ), flagging nothing
    POST  /_control/{sbmId}/stock                {"articleNo", "site": "1", "inStock": N} or a list
                                                   (bulk: one flag pass and one callback)
    POST  /_control/{sbmId}/orders/{orderNo}/deliver  {"trackingNo": ...}: deliveryStatus "D"
    POST  /_control/{sbmId}/orders/{orderNo}/status   {"statusId": ...}
    POST  /_control/{sbmId}/orders/{orderNo}/delete   statusId "5", stock no longer reserved
    POST  /_control/{sbmId}/orders/{orderNo}/remove   gone from Specter; fires actionRemoveOrder
    POST  /_control/{sbmId}/orders/{orderNo}/invoice  {"invoiceSource": ...}; fires actionNewInvoice
Looking inside:
    GET   /_control/{sbmId}/articles, /articles/{articleNo}, /customers, /orders, /orders/{orderNo}
    GET   /_control/{sbmId}/flags       flagged keys per flow (stock, articleInfo, orders by orderNo)
    GET   /_control/{sbmId}/batches     the open batch number per flow (null: none)
    GET   /_control/{sbmId}/callbacks   registered URLs and every attempt (url, status, error)
    GET   /_control/requests            API calls per "sbmId:action"
Faults and reset:
    GET/POST/DELETE /_control/faults   {"latency_ms", "error_rate", "error_status", "down_for_s",
                                        "down_mode": "503"|"reset"}
    POST  /_control/reset               forget all data, flags, batches, callbacks and faults
Records are answered with the simulator's own field names (snake_case), money as strings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
from aiohttp import web

from .api import CALLBACKS, FAULTS, STATE
from .faults import FaultConfig
from .flows import FlagFlow
from .model import STATUS_DELETED, Article, Code, SpecterError
from .state import AccountState

Handler = Callable[[web.Request], Awaitable[web.Response]]

_WIRE_NAMES = {"price_ex_vat": "priceExclVat", "weight_kg": "productWeight", "barcode": "barCode"}


def _camel(name: str) -> str:
    if name in _WIRE_NAMES:
        return _WIRE_NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class ArticleEdit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename=_camel):
    article_no: str = ""
    name: str | msgspec.UnsetType = msgspec.UNSET
    price_ex_vat: Decimal | msgspec.UnsetType = msgspec.UNSET
    vat_percent: Decimal | msgspec.UnsetType = msgspec.UNSET
    buy_price: Decimal | None | msgspec.UnsetType = msgspec.UNSET
    weight_kg: Decimal | None | msgspec.UnsetType = msgspec.UNSET
    barcode: str | msgspec.UnsetType = msgspec.UNSET
    standard_old_price: Decimal | None | msgspec.UnsetType = msgspec.UNSET
    article_type: str | msgspec.UnsetType = msgspec.UNSET
    commodity_code: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    short_description: str | msgspec.UnsetType = msgspec.UNSET
    publish_in_webshop: bool | msgspec.UnsetType = msgspec.UNSET
    group_code: str | msgspec.UnsetType = msgspec.UNSET
    group_name: str | msgspec.UnsetType = msgspec.UNSET
    stock: dict[str, int] | msgspec.UnsetType = msgspec.UNSET

    def values(self) -> dict[str, Any]:
        """The Article attributes this edit sets."""
        return {
            name: value
            for name in self.__struct_fields__
            if name not in ("article_no", "stock") and (value := getattr(self, name)) is not msgspec.UNSET
        }


class StockSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    article_no: str
    in_stock: int
    site: str = "1"


class TrackingBody(msgspec.Struct, kw_only=True, rename="camel"):
    tracking_no: str = ""


class StatusBody(msgspec.Struct, kw_only=True, rename="camel"):
    status_id: str


class InvoiceBody(msgspec.Struct, kw_only=True, rename="camel"):
    invoice_source: str = ""


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), status=status, content_type="application/json")


def _guarded(handler: Handler) -> Handler:
    """Answer refusals as JSON: 404 for what does not exist, 400 for a bad body."""

    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except SpecterError as exc:
            return _json({"error": exc.message}, 404 if exc.code == Code.NOT_FOUND else 400)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)

    return guarded


async def _body(request: web.Request, type_: Any) -> Any:
    raw = await request.read()
    return msgspec.json.decode(raw or b"{}", type=type_)


def _account(request: web.Request) -> AccountState:
    return request.app[STATE].account(request.match_info["sbm_id"])


def article_json(a: Article) -> dict[str, Any]:
    return {**msgspec.to_builtins(a), "available": a.available_by_site()}


# -- articles and stock ----------------------------------------------------------------------


async def list_articles(request: web.Request) -> web.Response:
    return _json([article_json(a) for a in _account(request).articles.values()])


async def get_article(request: web.Request) -> web.Response:
    return _json(article_json(_account(request).article(request.match_info["article_no"])))


async def post_articles(request: web.Request) -> web.Response:
    acc = _account(request)
    body = await _body(request, ArticleEdit | list[ArticleEdit])
    edits = body if isinstance(body, list) else [body]
    if not all(edit.article_no for edit in edits):
        raise ValueError("articleNo is required")
    done = acc.edit_articles([(e.article_no, e.values(), e.stock or None) for e in edits])
    return _json([{"article_no": a.article_no, "specter_id": a.specter_id} for a in done])


async def patch_article(request: web.Request) -> web.Response:
    acc = _account(request)
    edit: ArticleEdit = await _body(request, ArticleEdit)
    art = acc.article(request.match_info["article_no"])
    return _json(article_json(acc.edit_article(art.article_no, edit.values(), edit.stock or None)))


async def post_service_articles(request: web.Request) -> web.Response:
    acc = _account(request)
    body = await _body(request, ArticleEdit | list[ArticleEdit])
    edits = body if isinstance(body, list) else [body]
    if not all(edit.article_no for edit in edits):
        raise ValueError("articleNo is required")
    acc.edit_articles([(e.article_no, {**e.values(), "article_type": "TJ"}, None) for e in edits], quiet=True)
    return _json({"ok": True})


async def post_stock(request: web.Request) -> web.Response:
    body = await _body(request, StockSet | list[StockSet])
    changes = [(s.article_no, s.site, s.in_stock) for s in (body if isinstance(body, list) else [body])]
    return _json({"changed": _account(request).set_stock(changes)})


# -- customers and orders ----------------------------------------------------------------------


async def list_customers(request: web.Request) -> web.Response:
    return _json(list(_account(request).customers.values()))


async def list_orders(request: web.Request) -> web.Response:
    return _json(list(_account(request).orders.values()))


async def get_order(request: web.Request) -> web.Response:
    return _json(_account(request).order_by_no(request.match_info["order_no"]))


async def order_action(request: web.Request) -> web.Response:
    acc = _account(request)
    order = acc.order_by_no(request.match_info["order_no"])
    match request.match_info["what"]:
        case "deliver":
            acc.deliver(order, (await _body(request, TrackingBody)).tracking_no)
        case "status":
            acc.set_status(order, (await _body(request, StatusBody)).status_id)
        case "delete":
            acc.set_status(order, STATUS_DELETED)
        case "remove":
            acc.remove_order(order)
        case "invoice":
            invoice_id = acc.create_invoice(order, (await _body(request, InvoiceBody)).invoice_source)
            return _json({"invoice_id": invoice_id, "order_id": order.order_id})
        case other:
            raise web.HTTPNotFound(text=f"no order action {other!r}")
    return _json(order)


# -- inspection ------------------------------------------------------------------------------


async def get_flags(request: web.Request) -> web.Response:
    acc = _account(request)
    return _json(
        {
            "stock": list(acc.stock_flow.flags),
            "articleInfo": list(acc.info_flow.flags),
            "orders": [acc.orders[i].order_no for i in acc.order_flow.flags if i in acc.orders],
        }
    )


async def get_batches(request: web.Request) -> web.Response:
    acc = _account(request)
    flows: dict[str, FlagFlow[str, Any]] = {"stock": acc.stock_flow, "articleInfo": acc.info_flow,
                                            "orders": acc.order_flow}
    return _json({name: flow.open.batch_no if flow.open else None for name, flow in flows.items()})


async def get_callbacks(request: web.Request) -> web.Response:
    acc = _account(request)
    log = [a for a in request.app[CALLBACKS].log if a.sbm_id == acc.account.sbm_id]
    return _json({"urls": acc.callback_urls, "log": log})


async def get_requests(request: web.Request) -> web.Response:
    return _json(dict(request.app[STATE].request_counts))


async def get_faults(request: web.Request) -> web.Response:
    return _json(request.app[FAULTS].describe())


async def post_faults(request: web.Request) -> web.Response:
    faults = request.app[FAULTS]
    faults.configure(await _body(request, FaultConfig))
    return _json(faults.describe())


async def delete_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return _json(request.app[FAULTS].describe())


async def post_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    request.app[FAULTS].clear()
    request.app[CALLBACKS].log.clear()
    return _json({"ok": True})


def add_routes(app: web.Application) -> None:
    account = "/_control/{sbm_id:\\d+}"
    routes = [
        ("POST", "/_control/reset", post_reset),
        ("GET", "/_control/requests", get_requests),
        ("GET", "/_control/faults", get_faults),
        ("POST", "/_control/faults", post_faults),
        ("DELETE", "/_control/faults", delete_faults),
        ("GET", f"{account}/articles", list_articles),
        ("POST", f"{account}/articles", post_articles),
        ("GET", f"{account}/articles/{{article_no}}", get_article),
        ("PATCH", f"{account}/articles/{{article_no}}", patch_article),
        ("POST", f"{account}/service-articles", post_service_articles),
        ("POST", f"{account}/stock", post_stock),
        ("GET", f"{account}/customers", list_customers),
        ("GET", f"{account}/orders", list_orders),
        ("GET", f"{account}/orders/{{order_no}}", get_order),
        ("POST", f"{account}/orders/{{order_no}}/{{what}}", order_action),
        ("GET", f"{account}/flags", get_flags),
        ("GET", f"{account}/batches", get_batches),
        ("GET", f"{account}/callbacks", get_callbacks),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))
