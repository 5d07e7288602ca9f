"""The fake Abicart (Textalk Webshop) admin API: JSON-RPC 2.0 over aiohttp.web, for tests and demos.

``POST /backend/jsonrpc/v1/?webshop=ID&auth=TOKEN`` answers the documented methods (see
:mod:`.rpc`) with the documented shapes and errors, taking only documented forms (see
:mod:`.schema`); where the documentation is silent it offers each plausible form, as
:class:`.state.Forms` chooses.

``/_control/…`` plays shopper and admin, and the shop's own moods: make articles (with choices,
variants and quantity tiers), customers and orders (optionally announcing ``Order/created``
twice), delete articles, deactivate a listener, change the webshop's settings, the forms it
answers in, its API keys and their rights, answer 429/500 or a JSON-RPC error to the next N
calls, lose or repeat the next N listener calls, stop its clock, and show the state. Run it with
``specter-gateway simulate abicart`` or :func:`start_fake_abicart`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from adapters.abicart.decode import loads
from gateway.simulators.serving import serve

from .rpc import FakeAbicart, RpcError, invalid
from .schema import check_patch
from .state import FakeState, Forms, Token

RPC_PATH = "/backend/jsonrpc/v1/"
READ_METHODS = (".get", ".list", ".count")
STATE: web.AppKey[FakeState] = web.AppKey("state", FakeState)
FAKE: web.AppKey[FakeAbicart] = web.AppKey("fake", FakeAbicart)
_encoder = msgspec.json.Encoder(decimal_format="number")


def _answer(call_id: Any, result: Any = None, error: RpcError | None = None) -> web.Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": call_id}
    if error is not None:
        body["error"] = {"code": error.code, "message": error.message,
                         **({"data": error.data} if error.data is not None else {})}
    else:
        body["result"] = result
    return web.Response(body=_encoder.encode(body), content_type="application/json")


async def rpc(request: web.Request) -> web.Response:
    state, fake = request.app[STATE], request.app[FAKE]
    if state.fault_count > 0:
        state.fault_count -= 1
        return web.Response(status=state.fault_status, text="Too Many Requests" if state.fault_status == 429 else
                            "<html><body>Internal Server Error</body></html>", content_type="text/html")
    try:
        call = loads(await request.read())
    except Exception:  # noqa: BLE001 - any broken body is JSON-RPC's parse error
        return _answer(None, error=RpcError(-32700, "Parse error"))
    if not isinstance(call, dict) or call.get("jsonrpc") != "2.0" or not isinstance(call.get("method"), str):
        return _answer(call.get("id") if isinstance(call, dict) else None, error=RpcError(-32600, "Invalid Request"))
    call_id, method, params = call.get("id"), call["method"], call.get("params", [])
    state.calls.append(method)
    if not method.endswith(READ_METHODS):
        state.writes.append(method)
    record: dict[str, Any] = {"method": method, "params": params, "error": None}
    state.requests.append(record)
    try:
        if not isinstance(params, list):
            raise invalid([("", "params are positional: an array")])
        token = fake.authorise(dict(request.query), method)
        code, left = state.rpc_fault
        if left > 0:
            state.rpc_fault = (code, left - 1)
            raise RpcError(code, "Internal error")
        result = await fake.dispatch(method, params, token)
    except RpcError as exc:
        record["error"] = exc.code
        return _answer(call_id, error=exc)
    return _answer(call_id, result=result)


# --- Control API ------------------------------------------------------------------------------


async def _body(request: web.Request) -> Any:
    return loads(await request.read()) if request.can_read_body else {}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(data), status=status, content_type="application/json")


def _refused(problems: list[tuple[str, str]]) -> web.Response:
    return _json({"error": [{"pointer": p, "message": m} for p, m in problems]}, 400)


async def control_article(request: web.Request) -> web.Response:
    """An admin makes an article: documented properties as written, plus ``choices`` as
    ``{"Storlek": {"S": null, "M": 20}}`` (option name -> extra price, stored form),
    ``variants`` as ``[{"articleNumber", "stock", "options": {"Storlek": "S"}}]`` and
    ``tiers`` as ``[{"qtyFloor": 10, "regular": {"SEK": 90}}]``."""
    fake = request.app[FAKE]
    body = dict(await _body(request))
    choices, variants, tiers = body.pop("choices", {}), body.pop("variants", []), body.pop("tiers", [])
    problems = check_patch("Article", body)
    if problems:
        return _refused(problems)
    state = fake.state
    article = state.add_article(body, tiers)
    option_uids: dict[str, dict[str, int]] = {}
    choice_uids: dict[str, int] = {}
    for name, options in choices.items():
        option_uids[name] = state.add_choice(article, name, options)
        choice_uids[name] = article["choices"][-1]
    made = [state.add_variant(article, v["articleNumber"], v.get("stock"),
                              {choice_uids[c]: option_uids[c][o] for c, o in (v.get("options") or {}).items()})
            for v in variants]
    await fake.fire("Article/created", article["uid"])
    return _json({**state.render_article(article), "variants": [state.render_variant(v) for v in made]}, 201)


async def control_delete_article(request: web.Request) -> web.Response:
    fake = request.app[FAKE]
    uid = int(request.match_info["uid"])
    if fake.state.articles.pop(uid, None) is None:
        return _json({"error": f"no article {uid}"}, 404)
    for vuid in fake.state.variants_of(uid):
        del fake.state.variants[vuid]
    await fake.fire("Article/deleted", uid)
    return _json({"deleted": uid})


async def control_customer(request: web.Request) -> web.Response:
    fake = request.app[FAKE]
    body = await _body(request)
    problems = check_patch("Customer", body)
    if problems:
        return _refused(problems)
    customer = fake.state.add_customer(body)
    await fake.fire("Customer/created", customer["uid"])
    return _json(customer, 201)


async def control_order(request: web.Request) -> web.Response:
    """A shopper checks out: ``{"order": {...}, "created_twice": bool}``; the order's
    ``customer`` uses the documented address shapes."""
    fake = request.app[FAKE]
    body = await _body(request)
    given = body.get("order", {})
    customer = given.get("customer", {})
    problems = check_patch("Customer", {k: v for k, v in customer.items() if k != "uid"})
    if problems:
        return _refused(problems)
    order = fake.state.checkout(given)
    await fake.fire("Order/created", order["uid"])
    if body.get("created_twice"):
        await fake.fire("Order/created", order["uid"])
    return _json(order, 201)


async def control_deactivate(request: web.Request) -> web.Response:
    """The shop gives up on a listener (as after failed calls)."""
    state = request.app[STATE]
    listener = state.listeners.get(int(request.match_info["uid"]))
    if listener is None:
        return _json({"error": "no such listener"}, 404)
    state.deactivate(listener)
    return _json({k: v for k, v in listener.items() if not k.startswith("_")})


async def control_faults(request: web.Request) -> web.Response:
    """``{"status": 429 | 500, "count": N}``: the next N calls answer that HTTP status;
    ``{"rpc_error": -32000, "count": N}``: that JSON-RPC error; ``{"listener_calls": "lost" |
    "repeated", "count": N}``: the next N calls of event listeners never arrive, or arrive twice."""
    body = await _body(request)
    state = request.app[STATE]
    if "listener_calls" in body:
        if body["listener_calls"] not in ("lost", "repeated"):
            return _json({"error": "listener_calls must be lost or repeated"}, 400)
        state.call_faults[body["listener_calls"]] = int(body.get("count", 1))
    elif "rpc_error" in body:
        state.rpc_fault = (int(body["rpc_error"]), int(body.get("count", 1)))
    else:
        state.fault_status, state.fault_count = int(body.get("status", 500)), int(body.get("count", 1))
    return _json({"status": state.fault_status, "count": state.fault_count, "rpc_fault": list(state.rpc_fault),
                  "listener_calls": state.call_faults})


async def control_clock(request: web.Request) -> web.Response:
    """``{"frozen": true}``: the shop's clock stands still, so every change is stamped in the same
    (whole) second, as changes within one real second are; ``false`` lets it run again."""
    state = request.app[STATE]
    state.frozen_at = state.now() if (await _body(request)).get("frozen") else None
    return _json({"now": state.now(), "frozen": state.frozen_at is not None})


async def control_webshop(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.webshop_settings.update(await _body(request))
    return _json(state.webshop_object())


async def control_forms(request: web.Request) -> web.Response:
    state = request.app[STATE]
    known = {f.name for f in fields(Forms)}
    for key, value in (await _body(request)).items():
        if key not in known:
            return _json({"error": f"no form {key!r}"}, 400)
        setattr(state.forms, key, tuple(value) if key == "event_names" else value)
    return _json({f: getattr(state.forms, f) for f in known})


async def control_token(request: web.Request) -> web.Response:
    """An API key: ``{"token", "active": bool, "classes": [...] | null}`` (the classes it may use)."""
    state = request.app[STATE]
    body = await _body(request)
    classes = body.get("classes")
    state.tokens[str(body["token"])] = Token(active=bool(body.get("active", True)),
                                             classes=None if classes is None else frozenset(classes))
    return _json({"token": "***", "active": bool(body.get("active", True))})


async def control_state(request: web.Request) -> web.Response:
    s = request.app[STATE]

    def shown(table: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in o.items() if not k.startswith("_")} for o in table.values()]

    return _json({"webshop": s.webshop_object(), "articles": [s.render_article(a) for a in s.articles.values()],
                  "variants": [s.render_variant(v) for v in s.variants.values()], "groups": shown(s.groups),
                  "customers": shown(s.customers), "orders": shown(s.orders), "items": shown(s.items),
                  "listeners": shown(s.listeners), "calls": s.calls,
                  "writes": s.writes})


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
    app.router.add_post("/_control/listeners/{uid}/deactivate", control_deactivate)
    app.router.add_post("/_control/faults", control_faults)
    app.router.add_post("/_control/clock", control_clock)
    app.router.add_patch("/_control/webshop", control_webshop)
    app.router.add_patch("/_control/forms", control_forms)
    app.router.add_post("/_control/tokens", control_token)
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


__all__ = ["RPC_PATH", "FakeState", "RunningFakeAbicart", "build_app", "run", "start_fake_abicart"]
