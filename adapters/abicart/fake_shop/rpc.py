"""The fake Abicart's JSON-RPC methods: context and rights first (1001/1002 webshop, 1004 token,
1006 rights), then each call's params checked against :mod:`.schema` (-32602 naming the field),
then the call. Changes call the listeners of their event, before the answer returns.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

from .schema import Problem, check_filters, check_patch, check_query, check_selection
from .state import FakeState, Token, parse_time, project

_encoder = msgspec.json.Encoder(decimal_format="number")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def invalid(problems: list[Problem]) -> RpcError:
    return RpcError(-32602, "Invalid params", [{"message": m, "pointer": p} for p, m in problems])


def _param(params: list[Any], n: int, what: str) -> Any:
    if len(params) <= n:
        raise invalid([(f"/{n}", f"{what} is required")])
    return params[n]


def _uid(params: list[Any]) -> int:
    uid = _param(params, 0, "the uid")
    if isinstance(uid, bool) or not isinstance(uid, int | str) or not str(uid).isdigit():
        raise invalid([("/0", "the uid must be an integer")])
    return int(uid)


def _query(cls: str, params: list[Any], n: int) -> Any:
    """The optional query at position ``n`` (``true`` when left out), checked."""
    query = params[n] if len(params) > n else True
    problems = check_query(cls, query)
    if problems:
        raise invalid(problems)
    return query


def _within(value: Any, bound: str, limit: Any) -> bool:
    """Whether ``value`` keeps a ``min`` or ``max`` condition (dates compared as dates)."""
    have, edge = parse_time(value), parse_time(limit)
    left, right = (have, edge) if have is not None and edge is not None else (value, limit)
    if left is None:
        return False
    try:
        return bool(left >= right) if bound == "min" else bool(left <= right)
    except TypeError:
        return False


def _matches(obj: dict[str, Any], filters: dict[str, Any]) -> bool:
    for pointer, condition in filters.items():
        value: Any = obj
        for part in pointer[1:].split("/"):
            value = value.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(value, dict) else None
        if isinstance(condition, dict):
            if "in" in condition and value not in condition["in"]:
                return False
            if not all(_within(value, bound, condition[bound]) for bound in ("min", "max") if bound in condition):
                return False
        elif value != condition:
            return False
    return True


class FakeAbicart:
    """The JSON-RPC methods over one :class:`FakeState`."""

    def __init__(self, state: FakeState, http: aiohttp.ClientSession):
        self.state = state
        self.http = http

    # --- Listeners ------------------------------------------------------------------------------

    def _body(self, event: str, uid: int) -> tuple[bytes, str]:
        form = self.state.forms.callback_body
        if form == "empty":
            return b"", "application/json"
        if form == "form":
            return urlencode({"event": event, "uid": uid}).encode(), "application/x-www-form-urlencoded"
        payloads: dict[str, dict[str, Any]] = {
            "object": {"eventName": event, "uid": uid, "webshop": self.state.webshop},
            "nested": {"event": event, "data": {"uid": uid, "webshop": self.state.webshop}},
            "rpc": {"jsonrpc": "2.0", "method": event, "params": [uid]},
        }
        return _encoder.encode(payloads[form]), "application/json"

    async def fire(self, event: str, uid: int) -> None:
        """Call every active listener of ``event``; one failing too often goes inactive. The
        network misbehaves on demand (``FakeState.call_faults``): a lost call never reaches the
        listener (no answer, a failure), a repeated one reaches it twice."""
        for listener in list(self.state.listeners.values()):
            if listener["eventName"] != event or not listener["status"]["active"]:
                continue
            body, content_type = self._body(event, uid)
            repeated = self.state.call_fault("repeated")
            for _ in range(2 if repeated else 1):
                await self._call_listener(listener, event, uid, body, content_type)

    async def _call_listener(self, listener: dict[str, Any], event: str, uid: int, body: bytes,
                             content_type: str) -> None:
        if self.state.call_fault("lost"):
            status = 0
        else:
            try:
                async with self.http.post(listener["url"], data=body, headers={"Content-Type": content_type},
                                          timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
        self.state.fired.append((event, uid, status))
        listener["_log"].append({"time": self.state.now(), "uid": uid, "status": status})
        listener["_failures"] = 0 if 200 <= status < 300 else listener["_failures"] + 1
        limit = self.state.forms.deactivate_after
        if limit and listener["_failures"] >= limit:
            self.state.deactivate(listener)

    # --- Calls ----------------------------------------------------------------------------------

    def authorise(self, query: dict[str, str], method: str) -> str:
        """The caller's token, once the context allows ``method``."""
        s = self.state
        if "webshop" not in query:
            raise RpcError(1001, "Missing webshop in context")
        if query["webshop"] != str(s.webshop):
            raise RpcError(1002, "Invalid webshop")
        token = query.get("auth", "")
        found: Token | None = s.tokens.get(token)
        if found is None or not found.active:
            raise RpcError(1004, "Bad auth token")
        if found.classes is not None and method.split(".", 1)[0] not in found.classes:
            raise RpcError(1006, "Forbidden")
        return token

    async def dispatch(self, method: str, params: list[Any], token: str) -> Any:
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            raise RpcError(-32601, "Method not found")
        return await handler(params, token)

    def _list(self, cls: str, table: dict[int, dict[str, Any]], params: list[Any], render: Any = None) -> Any:
        query = _query(cls, params, 0)
        selection = params[1] if len(params) > 1 else {}
        problems = check_selection(cls, selection, self.state.forms.in_filter)
        if problems:
            raise invalid(problems)
        rendered = [render(o) if render else o for o in table.values()]
        found = [o for o in rendered if _matches(o, selection.get("filters") or {})]
        sort = selection.get("sort")
        if sort:
            found.sort(key=lambda o: (o.get(sort) is None, str(o.get(sort)) if sort != "uid" else o["uid"]),
                       reverse=bool(selection.get("descending")))
        offset = int(selection.get("offset", 0))
        limit = int(selection.get("limit", 500))  # at most 500 a call, as PriceListItem.list documents
        return [project(o, query) for o in found[offset: offset + min(limit, 500)]]

    def _count(self, cls: str, table: dict[int, dict[str, Any]], params: list[Any], render: Any = None) -> int:
        filters = _param(params, 0, "the filter object")
        problems = check_filters(cls, filters, self.state.forms.in_filter, at="")
        if problems:
            raise invalid(problems)
        return sum(1 for o in table.values() if _matches(render(o) if render else o, filters))

    @staticmethod
    def _patch(cls: str, params: list[Any], n: int) -> dict[str, Any]:
        patch = _param(params, n, "the patch")
        problems = check_patch(cls, patch)
        if problems:
            raise invalid(problems)
        return dict(patch)

    @staticmethod
    def _need(table: dict[int, dict[str, Any]], uid: int, cls: str) -> dict[str, Any]:
        found = table.get(uid)
        if found is None:
            raise invalid([("/0", f"no {cls} with uid {uid}")])
        return found

    # Webshop

    async def m_Webshop_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("Webshop", params, 1)
        return project(self.state.webshop_object(), query) if uid == self.state.webshop else None

    # Articles

    def _check_groups(self, article: dict[str, Any]) -> None:
        """The documented rule: the main group must be among the groups it is shown in; without
        a main group that list must be empty."""
        main, shown = article.get("articlegroup"), article.get("showInArticlegroups") or []
        if main is None and shown:
            raise invalid([("/showInArticlegroups", "must be empty when articlegroup is not set")])
        if main is not None and main not in shown:
            raise invalid([("/articlegroup", "must also be in showInArticlegroups")])
        for group in [main, *shown]:
            if group is not None and group not in self.state.groups:
                raise invalid([("/articlegroup", f"no Articlegroup with uid {group}")])

    def _check_currencies(self, patch: dict[str, Any]) -> None:
        active = self.state.webshop_settings["activeCurrencies"]
        for kind, amounts in (patch.get("price") or {}).items():
            for currency in amounts or {}:
                if currency not in active:
                    raise invalid([(f"/price/{kind}/{currency}", "is not an active currency of the shop")])

    async def m_Article_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("Article", params, 1)
        found = self.state.articles.get(uid)
        return project(self.state.render_article(found), query) if found else None

    async def m_Article_list(self, params: list[Any], token: str) -> Any:
        return self._list("Article", self.state.articles, params, self.state.render_article)

    async def m_Article_count(self, params: list[Any], token: str) -> Any:
        return self._count("Article", self.state.articles, params, self.state.render_article)

    async def m_Article_create(self, params: list[Any], token: str) -> Any:
        patch = self._patch("Article", params, 0)
        query = _query("Article", params, 1)
        self._check_currencies(patch)
        self._check_groups({"articlegroup": None, "showInArticlegroups": [], **patch})
        article = self.state.add_article(patch)
        await self.fire("Article/created", article["uid"])
        return project(self.state.render_article(article), query)

    async def m_Article_set(self, params: list[Any], token: str) -> Any:
        uid = _uid(params)
        patch = self._patch("Article", params, 1)
        query = _query("Article", params, 2)
        article = self._need(self.state.articles, uid, "Article")
        self._check_currencies(patch)
        self._check_groups({**article, **patch})
        self.state.apply_article_patch(article, patch)
        await self.fire("Article/changed", uid)
        return project(self.state.render_article(article), query)

    async def m_ArticleVariant_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("ArticleVariant", params, 1)
        found = self.state.variants.get(uid)
        return project(self.state.render_variant(found), query) if found else None

    async def m_ArticleVariant_list(self, params: list[Any], token: str) -> Any:
        return self._list("ArticleVariant", self.state.variants, params, self.state.render_variant)

    async def m_ArticleVariant_count(self, params: list[Any], token: str) -> Any:
        return self._count("ArticleVariant", self.state.variants, params, self.state.render_variant)

    async def m_ArticleVariant_set(self, params: list[Any], token: str) -> Any:
        if params and params[0] is None:
            raise invalid([("/0", "null is not allowed: variants are not created through set")])
        uid = _uid(params)
        patch = self._patch("ArticleVariant", params, 1)
        query = _query("ArticleVariant", params, 2)
        variant = self._need(self.state.variants, uid, "ArticleVariant")
        variant.update(patch)
        self.state.touch(self.state.articles[variant["article"]])
        await self.fire("Article/changed", variant["article"])
        return project(self.state.render_variant(variant), query)

    async def m_ArticleChoiceOption_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("ArticleChoiceOption", params, 1)
        return project(self.state.options.get(uid), query)

    # Article groups

    async def m_Articlegroup_list(self, params: list[Any], token: str) -> Any:
        return self._list("Articlegroup", self.state.groups, params)

    async def m_Articlegroup_create(self, params: list[Any], token: str) -> Any:
        patch = self._patch("Articlegroup", params, 0)
        query = _query("Articlegroup", params, 1)
        parent = patch.get("parent")
        if parent is not None and parent not in self.state.groups:
            raise invalid([("/parent", f"no Articlegroup with uid {parent}")])
        uid = next(self.state.uids)
        self.state.groups[uid] = {"uid": uid, "name": {}, "parent": None, "children": [], "hidden": False, **patch}
        if parent is not None:
            self.state.groups[parent]["children"].append(uid)
        return project(self.state.groups[uid], query)

    # Orders

    async def m_Order_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("Order", params, 1)
        found = self.state.orders.get(uid)
        if found is None:
            return None
        items_query = query.get("items") if isinstance(query, dict) else None
        if isinstance(items_query, dict) and items_query and (problems := check_query("OrderItem", items_query)):
            raise invalid([(f"/items{pointer}", message) for pointer, message in problems])
        return project(self.state.render_order(found, items_query), query)

    async def m_Order_list(self, params: list[Any], token: str) -> Any:
        return self._list("Order", self.state.orders, params)

    async def m_Order_set(self, params: list[Any], token: str) -> Any:
        uid = _uid(params)
        patch = self._patch("Order", params, 1)
        query = _query("Order", params, 2)
        order = self._need(self.state.orders, uid, "Order")
        discarding = patch.get("discarded") and not order["discarded"]
        order.update(patch)
        self.state.touch(order)
        await self.fire("Order/discarded" if discarding else "Order/changed", uid)
        return project(order, query)

    async def m_OrderItem_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("OrderItem", params, 1)
        return project(self.state.items.get(uid), query)

    # Customers

    async def m_Customer_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("Customer", params, 1)
        return project(self.state.customers.get(uid), query)

    async def m_Customer_list(self, params: list[Any], token: str) -> Any:
        return self._list("Customer", self.state.customers, params)

    async def m_Customer_count(self, params: list[Any], token: str) -> Any:
        return self._count("Customer", self.state.customers, params)

    async def m_Customer_set(self, params: list[Any], token: str) -> Any:
        uid = _uid(params)
        patch = self._patch("Customer", params, 1)
        query = _query("Customer", params, 2)
        customer = self._need(self.state.customers, uid, "Customer")
        for key, value in patch.items():  # the given fields of each part change
            customer[key] = {**(customer.get(key) or {}), **value} if isinstance(value, dict) else value
        self.state.touch(customer)
        await self.fire("Customer/changed", uid)
        return project(customer, query)

    # Event listeners

    def _listener_name(self, name: Any, token: str, other_than: int | None = None) -> None:
        if name not in self.state.forms.event_names:
            raise invalid([("/eventName", f"{name!r} is not an event name of this shop")])
        for uid, listener in self.state.listeners.items():
            if listener["authToken"] == token and listener["eventName"] == name and uid != other_than:
                raise invalid([("/eventName", f"this auth token already has a listener for {name} ({uid})")])

    async def m_EventListener_create(self, params: list[Any], token: str) -> Any:
        patch = self._patch("EventListener", params, 0)
        query = _query("EventListener", params, 1)
        missing = [(f"/{k}", "is required") for k in ("authToken", "eventName", "url") if k not in patch]
        if missing:
            raise invalid(missing)
        if patch["authToken"] != token:
            raise invalid([("/authToken", "must be the auth token of this call")])
        self._listener_name(patch["eventName"], token)
        return project(self.state.add_listener(token, patch["eventName"], patch["url"]), query)

    async def m_EventListener_set(self, params: list[Any], token: str) -> Any:
        uid = _uid(params)
        patch = self._patch("EventListener", params, 1)
        query = _query("EventListener", params, 2)
        listener = self._need(self.state.listeners, uid, "EventListener")
        if listener["authToken"] != token or patch.get("authToken", token) != token:
            raise RpcError(1006, "Forbidden")
        if "eventName" in patch:
            self._listener_name(patch["eventName"], token, other_than=uid)
        listener.update(patch)
        self.state.touch(listener)
        return project(listener, query)

    async def m_EventListener_get(self, params: list[Any], token: str) -> Any:
        uid, query = _uid(params), _query("EventListener", params, 1)
        found = self.state.listeners.get(uid)
        return project(found, query) if found and found["authToken"] == token else None

    async def m_EventListener_list(self, params: list[Any], token: str) -> Any:
        mine = {uid: x for uid, x in self.state.listeners.items() if x["authToken"] == token}
        return self._list("EventListener", mine, params)

    async def m_EventListener_delete(self, params: list[Any], token: str) -> Any:
        uid = _uid(params)
        listener = self._need(self.state.listeners, uid, "EventListener")
        if listener["authToken"] != token:
            raise RpcError(1006, "Forbidden")
        del self.state.listeners[uid]
        return None

    async def m_EventListener_getLog(self, params: list[Any], token: str) -> Any:
        listener = self._need(self.state.listeners, _uid(params), "EventListener")
        return list(listener["_log"])
