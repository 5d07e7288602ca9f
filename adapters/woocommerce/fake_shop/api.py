"""What every handler shares: the application's keys, the middlewares in front of the REST API
(the host's faults and latency, authentication, WooCommerce's error answers), request bodies
and WooCommerce's paging."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from .auth import authenticate
from .shop import Shop
from .state import FakeState
from .webhooks import Webhooks
from .wire import InvalidRequest, json_response

STATE = web.AppKey("woocommerce_state", FakeState)
SHOP = web.AppKey("woocommerce_shop", Shop)
WEBHOOKS = web.AppKey("woocommerce_webhooks", Webhooks)
HTML_CHALLENGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                  "<body><h1>Checking your browser before accessing the shop.</h1></body></html>")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def shop_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The host and firewall in front of the shop: 429, a challenge page or 500 on demand."""
    state: FakeState = request.app[STATE]
    if request.path.startswith("/wp-json/"):
        for kind in ("rate_limit", "html", "error500"):
            if state.faults.get(kind, 0) > 0:
                state.faults[kind] -= 1
                if kind == "rate_limit":
                    return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
                if kind == "html":
                    return web.Response(status=403, text=HTML_CHALLENGE, content_type="text/html")
                return web.Response(status=500, text="<html><body>Internal Server Error</body></html>",
                                    content_type="text/html")
        if not state.site:
            state.site = f"{request.scheme}://{request.host}/"
        if state.latency_ms:  # a busy host: every API answer takes this long
            await asyncio.sleep(state.latency_ms / 1000)
        if request.path.startswith("/wp-json/wc/"):
            refused = authenticate(state, request)
            if refused is not None:
                return refused
        if request.method != "GET":  # what the shop was asked to change, for the tests that count writes
            state.writes.append((request.method, request.path))
    return await handler(request)


@web.middleware
async def rest_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InvalidRequest as exc:
        return exc.response


async def read_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except ValueError:
        raise InvalidRequest(400, "rest_invalid_json", "Invalid JSON body passed.") from None
    return body if isinstance(body, dict) else {}


def state_of(request: web.Request) -> FakeState:
    return request.app[STATE]


def shop_of(request: web.Request) -> Shop:
    return request.app[SHOP]


def webhooks_of(request: web.Request) -> Webhooks:
    return request.app[WEBHOOKS]


def paged(request: web.Request, items: list[dict[str, Any]], *, in_id_order: bool = False) -> web.Response:
    q = request.query
    try:
        per_page, page = int(q.get("per_page", 10)), int(q.get("page", 1))
    except ValueError:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): per_page") from None
    if not 1 <= per_page <= 100:
        raise InvalidRequest(400, "rest_invalid_param", "Invalid parameter(s): per_page",
                             params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"})
    reverse = q.get("order", "desc") == "desc"
    if reverse or not in_id_order:  # items in id order already (the catalogue) need no sort going up
        items = sorted(items, key=lambda x: x["id"], reverse=reverse)
    total = len(items)
    pages = max(1, -(-total // per_page)) if total else 0
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages),
               "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link"}
    links = []
    base = f"{request.scheme}://{request.host}{request.path}"
    for rel, number in (("prev", page - 1), ("next", page + 1)):
        if 1 <= number <= pages:
            links.append(f"<{base}?{urlencode({**q, 'page': str(number)}, quote_via=quote)}>; rel=\"{rel}\"")
    if links:
        headers["Link"] = ", ".join(links)
    return json_response(items[(page - 1) * per_page: page * per_page], headers=headers)


def product_or_404(request: web.Request, key: str = "id", status: int = 404) -> dict[str, Any]:
    p = state_of(request).products.get(int(request.match_info[key]))
    if p is None or p["status"] == "trash":
        raise InvalidRequest(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    return p
