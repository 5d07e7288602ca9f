"""An async JSON-RPC 2.0 client for Abicart's admin API over a shared aiohttp session.

Every call is ``POST {url}?webshop=SHOP_ID&auth=TOKEN`` with ``{"jsonrpc": "2.0", "method":
"Class.method", "params": [...], "id": N}`` (params positional; an instance method takes the
uid first). JSON-RPC errors become the kinds in :mod:`adapters.abicart.errors`; timeouts, lost
connections, 429, 5xx and answers that are not JSON are :class:`TransientError`. The token is in
the URL, so every message that could carry it is redacted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec

from adapters.abicart import wire
from adapters.abicart.decode import loads
from adapters.abicart.errors import INVALID_PARAMS, AbicartError, error_for
from gateway import http_problems
from gateway.adapter import expect_object, expect_objects
from gateway.errors import PermanentError, TransientError
from gateway.model import InvalidInput

_encoder = msgspec.json.Encoder(decimal_format="number")
PAGE = 100

# Every method the client calls, for the test that sends each to the fake shop.
METHODS = frozenset({
    "Webshop.get", "Article.get", "Article.list", "Article.count", "Article.create", "Article.set",
    "ArticleVariant.list", "ArticleVariant.set", "ArticleChoiceOption.get", "Articlegroup.list",
    "Articlegroup.create", "Order.get", "Order.list", "Order.set", "OrderItem.get", "Customer.get", "Customer.list",
    "EventListener.list", "EventListener.create", "EventListener.set", "EventListener.delete",
})


def _object(result: Any, method: str) -> dict[str, Any]:
    return expect_object(result, f"Abicart {method}")


def _optional_object(result: Any, method: str) -> dict[str, Any] | None:
    """One object, or ``null`` for a uid Abicart does not have."""
    return None if result is None else _object(result, method)


def _objects(result: Any, method: str) -> list[dict[str, Any]]:
    return expect_objects(result, f"Abicart {method}")


class AbicartClient:
    def __init__(self, url: str, webshop: int, auth_token: str, http: aiohttp.ClientSession, *,
                 timeout: float = 30.0):
        self.url = url
        self.webshop = webshop
        self._token = auth_token
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ids = itertools.count(1)
        # Whether the shop takes an "in" filter condition; False once it refused one.
        self.in_filters = True

    def __repr__(self) -> str:  # never the token
        return f"AbicartClient({self.url!r}, webshop={self.webshop})"

    @property
    def auth_token(self) -> str:
        """The token, for the one place Abicart wants it in a body (EventListener.create)."""
        return self._token

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    async def call(self, method: str, *params: Any) -> Any:
        """Call ``Class.method`` and answer its ``result``."""
        body = _encoder.encode({"jsonrpc": "2.0", "method": method, "params": list(params), "id": next(self._ids)})
        query = {"webshop": str(self.webshop), "auth": self._token}
        where = f"Abicart {method}"
        try:
            async with self._http.post(self.url, params=query, data=body, timeout=self._timeout,
                                       headers={"Content-Type": "application/json"}) as resp:
                status, raw = resp.status, await resp.read()
        except TimeoutError:
            raise TransientError(f"{where}: timed out") from None
        except aiohttp.ClientError as exc:
            raise TransientError(self._redact(f"{where}: {http_problems.describe(exc, self.url)}")) from None
        if status == 429 or status >= 500:
            raise TransientError(f"{where}: answered HTTP {status}")
        try:
            answer = loads(raw)
        except InvalidInput:
            raise TransientError(f"{where}: answered HTTP {status} with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise TransientError(f"{where}: answered HTTP {status} without a JSON-RPC object")
        error = answer.get("error")
        if error:
            # The message and data may quote the URL, and so the token.
            shown = loads(self._redact(_encoder.encode(error).decode()).encode())
            raise error_for(method, shown if isinstance(shown, dict) else {"message": str(shown)}, self.webshop)
        if status >= 400:
            raise PermanentError(f"{where}: answered HTTP {status}")
        return answer.get("result")

    async def _list(self, cls: str, query: Any, selection: dict[str, Any]) -> list[dict[str, Any]]:
        return _objects(await self.call(f"{cls}.list", query, selection), f"{cls}.list")

    async def list_all(self, cls: str, query: Any, filters: dict[str, Any] | None = None,
                       page_size: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
        """Every object the filters select, a page at a time (until a short page)."""
        offset = 0
        while True:
            found = await self._list(cls, query, wire.page(page_size, offset, filters))
            if found:
                yield found
            if len(found) < page_size:
                return
            offset += page_size

    async def where_in(self, cls: str, query: Any, pointer: str, values: list[Any]) -> list[dict[str, Any]]:
        """The objects whose property at ``pointer`` is one of ``values``: one "in" filter, or
        (for a shop that refuses it) one equality filter per value."""
        if not values:
            return []
        if self.in_filters:
            try:
                return [o async for found in self.list_all(cls, query, {pointer: wire.one_of(values)}) for o in found]
            except AbicartError as exc:
                if exc.code != INVALID_PARAMS:
                    raise
                self.in_filters = False  # inferred form refused: equality is documented
        per_value = await asyncio.gather(*(self._all(cls, query, {pointer: value}) for value in values))
        return [o for found in per_value for o in found]

    async def _all(self, cls: str, query: Any, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return [o async for found in self.list_all(cls, query, filters) for o in found]

    # --- The shop ------------------------------------------------------------------------------

    async def get_webshop(self) -> dict[str, Any]:
        return _object(await self.call("Webshop.get", self.webshop, wire.WEBSHOP_QUERY), "Webshop.get")

    # --- Articles and variants -----------------------------------------------------------------

    async def get_article(self, uid: int, query: Any = None) -> dict[str, Any] | None:
        """The article, or None: Abicart answers ``null`` for a uid it does not have."""
        found = await self.call("Article.get", uid, wire.ARTICLE_QUERY if query is None else query)
        return _optional_object(found, "Article.get")

    async def count_articles(self, filters: dict[str, Any] | None = None) -> int:
        return int(await self.call("Article.count", filters or {}))

    async def article_pages(self, page_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        total = await self.count_articles()
        for offset in range(0, total, page_size):
            found = await self._list("Article", wire.ARTICLE_QUERY, wire.page(page_size, offset))
            if not found:
                return
            yield found

    async def articles_by_number(self, numbers: list[str]) -> list[dict[str, Any]]:
        return await self.where_in("Article", ["uid", "articleNumber"], "/articleNumber", numbers)

    async def create_article(self, patch: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("Article.create", patch, ["uid", "articleNumber"]), "Article.create")

    async def set_article(self, uid: int, patch: dict[str, Any]) -> None:
        await self.call("Article.set", uid, patch, ["uid"])

    async def variants_by_number(self, numbers: list[str]) -> list[dict[str, Any]]:
        return await self.where_in("ArticleVariant", ["uid", "article", "articleNumber"], "/articleNumber", numbers)

    async def variants_of(self, article_uids: list[int]) -> list[dict[str, Any]]:
        return await self.where_in("ArticleVariant", wire.VARIANT_QUERY, "/article", article_uids)

    async def set_variant(self, uid: int, patch: dict[str, Any]) -> None:
        await self.call("ArticleVariant.set", uid, patch, ["uid"])

    async def choice_option(self, uid: int) -> dict[str, Any] | None:
        found = await self.call("ArticleChoiceOption.get", uid, wire.OPTION_QUERY)
        return _optional_object(found, "ArticleChoiceOption.get")

    async def changed_articles(self, since: dt.datetime) -> AsyncIterator[list[dict[str, Any]]]:
        async for found in self.list_all("Article", wire.CHANGED_QUERY, wire.changed_since(since)):
            yield found

    # --- Article groups (categories) -------------------------------------------------------------

    async def groups_under(self, parent: int | None) -> list[dict[str, Any]]:
        return await self._all("Articlegroup", wire.GROUP_QUERY, {"/parent": parent})

    async def create_group(self, patch: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("Articlegroup.create", patch, wire.GROUP_QUERY), "Articlegroup.create")

    # --- Orders ----------------------------------------------------------------------------------

    async def get_order(self, uid: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The order and its items as objects: expanded in the same call where the shop does
        that, else fetched one by one (an order names its items by uid)."""
        data = _optional_object(await self.call("Order.get", uid, wire.ORDER_QUERY), "Order.get")
        if data is None:
            return None
        items = data.get("items") or []
        uids = [i for i in items if not isinstance(i, dict)]
        fetched = await asyncio.gather(*(self.call("OrderItem.get", i, wire.ITEM_QUERY) for i in uids))
        by_uid = {str(item["uid"]): item for i in fetched if (item := _optional_object(i, "OrderItem.get"))}
        return data, [i if isinstance(i, dict) else by_uid[str(i)]
                      for i in items if isinstance(i, dict) or str(i) in by_uid]

    async def order_status(self, uid: int) -> dict[str, Any] | None:
        return _optional_object(await self.call("Order.get", uid, wire.ORDER_STATUS_QUERY), "Order.get")

    async def set_order(self, uid: int, patch: dict[str, Any]) -> None:
        await self.call("Order.set", uid, patch, ["uid"])

    async def changed_orders(self, since: dt.datetime) -> AsyncIterator[list[dict[str, Any]]]:
        async for found in self.list_all("Order", wire.CHANGED_ORDER_QUERY, wire.changed_since(since)):
            yield found

    # --- Customers -------------------------------------------------------------------------------

    async def get_customer(self, uid: int) -> dict[str, Any] | None:
        return _optional_object(await self.call("Customer.get", uid, wire.CUSTOMER_QUERY), "Customer.get")

    async def customer_pages(self, page_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        async for found in self.list_all("Customer", wire.CUSTOMER_QUERY, page_size=page_size):
            yield found

    async def changed_customers(self, since: dt.datetime) -> AsyncIterator[list[dict[str, Any]]]:
        async for found in self.list_all("Customer", wire.CHANGED_QUERY, wire.changed_since(since)):
            yield found

    # --- Event listeners -------------------------------------------------------------------------

    async def listeners(self) -> list[dict[str, Any]]:
        return await self._all("EventListener", wire.LISTENER_QUERY, {})

    async def create_listener(self, event_name: str, url: str) -> dict[str, Any]:
        patch = {"authToken": self._token, "eventName": event_name, "url": url}
        return _object(await self.call("EventListener.create", patch, ["uid", "status"]), "EventListener.create")

    async def set_listener(self, uid: int, patch: dict[str, Any]) -> None:
        await self.call("EventListener.set", uid, patch, ["uid"])

    async def delete_listener(self, uid: int) -> None:
        await self.call("EventListener.delete", uid)
