"""The fake Abicart (Textalk Webshop) admin API: JSON-RPC 2.0 over aiohttp.web, for tests and demos.

``POST /backend/jsonrpc/v1/?webshop=ID&auth=TOKEN`` answers the calls the adapter makes, with the
shapes :mod:`adapters.abicart.decode` describes (money as ``{incVat, exVat, vat, vatRate}``,
texts per language, order items stored as uids). A wrong webshop or token is a JSON-RPC error,
as is an unknown method or uid (``Order.get`` and friends answer ``null`` for an unknown uid).
Changes fire the registered ``EventListener``\\ s (POST ``{"eventName", "uid", "webshop"}`` to
the listener URL) before the answer returns.

``/_control/…`` plays shopper and admin: create articles (with variants, or as packages),
customers and orders (optionally announcing ``Order/created`` twice), delete articles, answer
429 or 500 to the next N calls, and show the state. Run it with ``specter-gateway simulate
abicart`` or :func:`start_fake_abicart`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from adapters.abicart.decode import loads
from gateway.simulators.serving import serve

RPC_PATH = "/backend/jsonrpc/v1/"
STATE: web.AppKey[FakeState] = web.AppKey("state")
CENT = Decimal("0.01")
_encoder = msgspec.json.Encoder(decimal_format="number")


def money(ex_vat: Any, vat_rate: Any = "0.25") -> dict[str, Any]:
    ex, rate = Decimal(str(ex_vat)), Decimal(str(vat_rate))
    vat = (ex * rate).quantize(CENT, ROUND_HALF_UP)
    return {"incVat": ex + vat, "exVat": ex, "vat": vat, "vatRate": rate, "currency": "SEK"}


def _price(value: Any, default_rate: Any = "0.25") -> dict[str, Any] | None:
    """A price as given (a number ex VAT, or ``{exVat, vatRate}``) in Abicart's full shape."""
    if value is None:
        return None
    if isinstance(value, dict):
        return money(value["exVat"], value.get("vatRate", default_rate))
    return money(value, default_rate)


def _text(value: Any) -> Any:
    return {"sv": value} if isinstance(value, str) else value


@dataclass
class FakeState:
    webshop: int
    auth_token: str
    articles: dict[int, dict[str, Any]] = field(default_factory=dict)
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    listeners: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # the methods called, in order
    fired: list[tuple[str, int, int]] = field(default_factory=list)  # (event, uid, HTTP status)
    fault_status: int = 0
    fault_count: int = 0
    uids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))
    order_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    # --- Objects ------------------------------------------------------------------------------

    def add_article(self, body: dict[str, Any]) -> dict[str, Any]:
        uid = next(self.uids)
        given_price = body.get("price")
        rate = body.get("vatRate") or (given_price.get("vatRate") if isinstance(given_price, dict) else None) or "0.25"
        article = {
            "uid": uid, "articleNumber": body.get("articleNumber", ""), "name": _text(body.get("name", "")),
            "description": _text(body.get("description", "")),
            "introductionText": _text(body.get("introductionText", "")),
            "price": _price(body.get("price", "0"), rate), "campaignPrice": _price(body.get("campaignPrice"), rate),
            "weight": body.get("weight"), "stock": body.get("stock"), "articlegroup": body.get("articlegroup"),
            "choices": [], "type": body.get("type", "article"), "hidden": False, "draft": bool(body.get("draft")),
            "barcode": body.get("barcode", ""),
        }
        self.articles[uid] = article
        for given in body.get("variants") or []:
            vuid = next(self.uids)
            self.variants[vuid] = {"uid": vuid, "article": uid, "articleNumber": given.get("articleNumber", ""),
                                   "stock": given.get("stock"), "choices": [_text(c) for c in given.get("choices", [])],
                                   "price": _price(given.get("price"), rate)}
            article["choices"] = body.get("choiceGroups") or ["Variant"]
        return article

    def add_order(self, body: dict[str, Any]) -> dict[str, Any]:
        uid = next(self.uids)
        item_uids, cart = [], Decimal(0)
        for given in body.get("items", []):
            article = self.articles[int(given["article"])]
            variant = self.variants.get(int(given["variant"])) if given.get("variant") else None
            price = (variant or {}).get("price") or article["price"]
            qty = int(given.get("quantity", 1))
            unit = money(price["exVat"], price["vatRate"])
            total = money(unit["exVat"] * qty, price["vatRate"])
            item = {"uid": next(self.uids), "order": uid, "article": article["uid"],
                    "articleNumber": (variant or article)["articleNumber"], "articleName": article["name"],
                    "choices": (variant or {}).get("choices", []), "quantity": qty,
                    "costs": {"unit": unit, "total": total}, "discountInfo": None}
            if given.get("discount"):
                item["discountInfo"] = {"amount": money(given["discount"], price["vatRate"]), "description": "Rabatt"}
            self.items[item["uid"]] = item
            item_uids.append(item["uid"])
            cart += total["exVat"]
            target = variant or article
            if target.get("stock") is not None:
                target["stock"] -= qty  # Abicart reduces stock when the order is placed
        shipment = money(body.get("shipment", "49.00"))
        payment = money(body.get("paymentFee", "0"))
        order = {
            "uid": uid, "orderNumber": next(self.order_numbers),
            "ordered": None if body.get("draft") else dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "currency": body.get("currency", "SEK"),
            "customer": body.get("customer", {}),
            "items": item_uids,
            "costs": {"cart": money(cart), "payment": payment, "shipment": shipment,
                      "total": money(cart + shipment["exVat"] + payment["exVat"])},
            "payments": body.get("payments", [{"method": "klarna_checkout", "title": {"sv": "Klarna"},
                                               "reference": "klarna-ref-1", "amount": money(cart)}]),
            "delivery": body.get("delivery", {"method": 7, "name": {"sv": "PostNord"}}),
            "discountInfo": body.get("discountInfo"), "paymentStatus": "paid", "deliveryStatus": "undelivered",
            "discarded": False, "externalOrderNumber": None, "customerComment": body.get("customerComment", ""),
            "note": "", "tags": [],
        }
        self.orders[uid] = order
        return order

    def variants_of(self, article_uid: int) -> list[int]:
        return [uid for uid, v in self.variants.items() if v["article"] == article_uid]


# --- JSON-RPC ---------------------------------------------------------------------------------


class RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _project(obj: dict[str, Any] | None, fields: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    if not isinstance(fields, list):
        return dict(obj)
    return {k: obj.get(k) for k in fields}


def _matches(obj: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, wanted in (filters or {}).items():
        have = obj.get(key)
        if isinstance(wanted, list):
            if have not in wanted:
                return False
        elif have != wanted:
            return False
    return True


def _selection(table: dict[int, dict[str, Any]], params: list[Any]) -> list[dict[str, Any]]:
    fields = params[0] if params else True
    opts = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
    found = [o for o in table.values() if _matches(o, opts.get("filters") or {})]
    offset = int(opts.get("offset", 0))
    limit = int(opts.get("limit", len(found)))
    return [_project(o, fields) for o in found[offset: offset + limit]]  # type: ignore[misc]


def _patch_price(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    patch = dict(patch)
    for key in ("price", "campaignPrice"):
        if key in patch and patch[key] is not None:
            rate = patch[key].get("vatRate", (target.get("price") or {}).get("vatRate", "0.25"))
            patch[key] = money(patch[key]["exVat"], rate)
    return patch


class FakeAbicart:
    """The JSON-RPC methods, over one :class:`FakeState`."""

    def __init__(self, state: FakeState, http: aiohttp.ClientSession):
        self.state = state
        self.http = http

    async def fire(self, event: str, uid: int) -> None:
        for listener in list(self.state.listeners.values()):
            if listener["eventName"] != event:
                continue
            body = _encoder.encode({"eventName": event, "uid": uid, "webshop": self.state.webshop})
            try:
                async with self.http.post(listener["url"], data=body,
                                          headers={"Content-Type": "application/json"}) as resp:
                    self.state.fired.append((event, uid, resp.status))
            except aiohttp.ClientError:
                self.state.fired.append((event, uid, 0))

    def _get(self, table: dict[int, dict[str, Any]], params: list[Any]) -> dict[str, Any] | None:
        if not params:
            raise RpcError(-32602, "Invalid params: a uid is required")
        return _project(table.get(int(params[0])), params[1] if len(params) > 1 else True)

    def _need(self, table: dict[int, dict[str, Any]], uid: Any, what: str) -> dict[str, Any]:
        found = table.get(int(uid))
        if found is None:
            raise RpcError(-32602, f"Invalid params: no {what} with uid {uid}")
        return found

    async def dispatch(self, method: str, params: list[Any]) -> Any:
        s = self.state
        if method == "Article.get":
            return self._get(s.articles, params)
        if method == "Article.list":
            return _selection(s.articles, params)
        if method == "Article.count":
            filters = (params[0] or {}).get("filters", {}) if params else {}
            return sum(1 for a in s.articles.values() if _matches(a, filters))
        if method == "Article.create":
            article = s.add_article(_patch_price({}, params[0]))
            await self.fire("Article/created", article["uid"])
            return _project(article, params[1] if len(params) > 1 else True)
        if method == "Article.set":
            article = self._need(s.articles, params[0], "Article")
            article.update(_patch_price(article, params[1]))
            await self.fire("Article/changed", article["uid"])
            return True
        if method == "ArticleVariant.list":
            return _selection(s.variants, params)
        if method == "ArticleVariant.set":
            variant = self._need(s.variants, params[0], "ArticleVariant")
            variant.update(_patch_price(variant, params[1]))
            await self.fire("Article/changed", variant["article"])
            return True
        if method == "Articlegroup.list":
            return _selection(s.groups, params)
        if method == "Articlegroup.create":
            uid = next(s.uids)
            s.groups[uid] = {"uid": uid, "name": {}, "parent": None, "hidden": False, **params[0]}
            return _project(s.groups[uid], params[1] if len(params) > 1 else True)
        if method == "Order.get":
            return self._get(s.orders, params)
        if method == "Order.set":
            order = self._need(s.orders, params[0], "Order")
            discarding = params[1].get("discarded") and not order["discarded"]
            order.update(params[1])
            await self.fire("Order/discarded" if discarding else "Order/changed", order["uid"])
            return True
        if method == "OrderItem.get":
            return self._get(s.items, params)
        if method == "Customer.get":
            return self._get(s.customers, params)
        if method == "Customer.list":
            return _selection(s.customers, params)
        if method == "Customer.set":
            customer = self._need(s.customers, params[0], "Customer")
            for key in ("info", "address", "deliveryAddress"):  # the given fields of each part change
                if isinstance(params[1].get(key), dict):
                    customer[key] = {**(customer.get(key) or {}), **params[1][key]}
            await self.fire("Customer/changed", customer["uid"])
            return True
        if method == "EventListener.create":
            given = params[0]
            if given.get("authToken") != s.auth_token:
                raise RpcError(-32000, "Access denied: the listener's authToken is not valid")
            uid = next(s.uids)
            s.listeners[uid] = {"uid": uid, "eventName": given["eventName"], "url": given["url"]}
            return {"uid": uid}
        if method == "EventListener.list":
            return _selection(s.listeners, params)
        raise RpcError(-32601, f"Method not found: {method}")


FAKE: web.AppKey[FakeAbicart] = web.AppKey("fake", FakeAbicart)


async def rpc(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if state.fault_count > 0:
        state.fault_count -= 1
        return web.Response(status=state.fault_status, text="Too Many Requests" if state.fault_status == 429 else
                            "<html><body>Internal Server Error</body></html>", content_type="text/html")
    try:
        call = loads(await request.read())
    except Exception:  # noqa: BLE001 - any broken body is JSON-RPC's parse error
        return _answer(None, error=(-32700, "Parse error"))
    call_id = call.get("id")
    if request.query.get("webshop") != str(state.webshop) or request.query.get("auth") != state.auth_token:
        return _answer(call_id, error=(-32000, "Access denied: wrong webshop or auth token"))
    method = str(call.get("method", ""))
    state.calls.append(method)
    try:
        result = await request.app[FAKE].dispatch(method, list(call.get("params") or []))
    except RpcError as exc:
        return _answer(call_id, error=(exc.code, exc.message))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return _answer(call_id, error=(-32602, f"Invalid params: {exc}"))
    return _answer(call_id, result=result)


def _answer(call_id: Any, result: Any = None, error: tuple[int, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": call_id}
    if error:
        body["error"] = {"code": error[0], "message": error[1]}
    else:
        body["result"] = result
    return web.Response(body=_encoder.encode(body), content_type="application/json")


# --- Control API ------------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    return loads(await request.read()) if request.can_read_body else {}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(data), status=status, content_type="application/json")


async def control_article(request: web.Request) -> web.Response:
    fake: FakeAbicart = request.app[FAKE]
    article = fake.state.add_article(await _body(request))
    await fake.fire("Article/created", article["uid"])
    return _json({**article, "variants": [fake.state.variants[v] for v in fake.state.variants_of(article["uid"])]}, 201)


async def control_delete_article(request: web.Request) -> web.Response:
    fake: FakeAbicart = request.app[FAKE]
    uid = int(request.match_info["uid"])
    if fake.state.articles.pop(uid, None) is None:
        return _json({"error": f"no article {uid}"}, 404)
    for vuid in fake.state.variants_of(uid):
        del fake.state.variants[vuid]
    await fake.fire("Article/deleted", uid)
    return _json({"deleted": uid})


async def control_customer(request: web.Request) -> web.Response:
    fake: FakeAbicart = request.app[FAKE]
    body = await _body(request)
    uid = next(fake.state.uids)
    fake.state.customers[uid] = {"uid": uid, "info": body.get("info", {}), "address": body.get("address", {}),
                                 "deliveryAddress": body.get("deliveryAddress")}
    await fake.fire("Customer/created", uid)
    return _json(fake.state.customers[uid], 201)


async def control_order(request: web.Request) -> web.Response:
    """A shopper checks out: ``{"order": {...}, "created_twice": bool}``."""
    fake: FakeAbicart = request.app[FAKE]
    body = await _body(request)
    order = fake.state.add_order(body.get("order", {}))
    await fake.fire("Order/created", order["uid"])
    if body.get("created_twice"):
        await fake.fire("Order/created", order["uid"])
    return _json(order, 201)


async def control_faults(request: web.Request) -> web.Response:
    """``{"status": 429 | 500, "count": N}``: the next N JSON-RPC calls answer that status."""
    body = await _body(request)
    state = request.app[STATE]
    state.fault_status, state.fault_count = int(body.get("status", 500)), int(body.get("count", 1))
    return _json({"status": state.fault_status, "count": state.fault_count})


async def control_state(request: web.Request) -> web.Response:
    s = request.app[STATE]
    return _json({"articles": list(s.articles.values()), "variants": list(s.variants.values()),
                  "groups": list(s.groups.values()), "customers": list(s.customers.values()),
                  "orders": list(s.orders.values()), "listeners": list(s.listeners.values()), "calls": s.calls})


def build_app(webshop: int = 4711, auth_token: str = "abicart-token") -> web.Application:
    app = web.Application()
    app[STATE] = FakeState(webshop, auth_token)

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            app[FAKE] = FakeAbicart(app[STATE], http)
            yield

    app.cleanup_ctx.append(session)
    app.router.add_post(RPC_PATH, rpc)
    app.router.add_post("/_control/articles", control_article)
    app.router.add_delete("/_control/articles/{uid}", control_delete_article)
    app.router.add_post("/_control/customers", control_customer)
    app.router.add_post("/_control/orders", control_order)
    app.router.add_post("/_control/faults", control_faults)
    app.router.add_get("/_control/state", control_state)
    return app


@dataclass
class RunningFakeAbicart:
    url: str  # the JSON-RPC endpoint (a tenant's ``url``)
    base: str  # the server root, for /_control/
    state: FakeState
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_fake_abicart(host: str = "127.0.0.1", port: int = 0, webshop: int = 4711,
                             auth_token: str = "abicart-token") -> RunningFakeAbicart:
    app = build_app(webshop, auth_token)
    runner, base = await serve(app, host, port)
    return RunningFakeAbicart(base.rstrip("/") + RPC_PATH, base, app[STATE], runner)


def run(host: str = "127.0.0.1", port: int = 8891, webshop: int = 4711, auth_token: str = "abicart-token") -> None:
    """Serve the fake shop until interrupted (``specter-gateway simulate abicart``)."""
    print(f"Fake Abicart JSON-RPC on http://{host}:{port}{RPC_PATH} (webshop {webshop})")
    web.run_app(build_app(webshop, auth_token), host=host, port=port, print=None)
