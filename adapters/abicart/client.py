"""An async JSON-RPC 2.0 client for Abicart's admin API over a shared aiohttp session.

Every call is ``POST {url}?webshop=SHOP_ID&auth=TOKEN`` with
``{"jsonrpc": "2.0", "method": "Class.method", "params": [...], "id": N}``. A JSON-RPC ``error``
object becomes :class:`AbicartError` (permanent); timeouts, lost connections, 429, 5xx and
answers that are not JSON become :class:`TransientError`. The token is in the URL, so every
message that could carry the URL is redacted.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec

from adapters.abicart.decode import loads
from gateway.adapter import expect_object, expect_objects
from gateway.errors import PermanentError, TransientError
from gateway.model import InvalidInput

_encoder = msgspec.json.Encoder(decimal_format="number")

ARTICLE_FIELDS = ["uid", "articleNumber", "name", "description", "introductionText", "price", "campaignPrice",
                  "weight", "stock", "articlegroup", "choices", "type", "hidden", "draft", "barcode"]
VARIANT_FIELDS = ["uid", "article", "articleNumber", "stock", "choices", "price"]
ORDER_FIELDS = ["uid", "orderNumber", "ordered", "currency", "customer", "items", "costs", "payments", "delivery",
                "discountInfo", "paymentStatus", "deliveryStatus", "discarded", "externalOrderNumber",
                "customerComment"]
ORDER_STATE_FIELDS = ["uid", "discarded", "deliveryStatus", "note"]  # what shows an order's status
ITEM_FIELDS = ["uid", "article", "articleNumber", "articleName", "choices", "quantity", "costs", "discountInfo"]
CUSTOMER_FIELDS = ["uid", "info", "address", "deliveryAddress"]
GROUP_FIELDS = ["uid", "name", "parent", "hidden"]


class AbicartError(PermanentError):
    """A JSON-RPC ``error`` answer."""

    def __init__(self, method: str, code: int, message: str):
        super().__init__(f"Abicart {method} answered error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message


def _object(result: Any, method: str) -> dict[str, Any]:
    """A ``result`` that must be one object (an article, an order, …)."""
    return expect_object(result, f"Abicart {method}")


def _optional_object(result: Any, method: str) -> dict[str, Any] | None:
    """A ``result`` that is one object, or ``null`` for a uid Abicart does not have."""
    return None if result is None else _object(result, method)


def _objects(result: Any, method: str) -> list[dict[str, Any]]:
    """A ``result`` that must be a list of objects."""
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

    def __repr__(self) -> str:  # never the token
        return f"AbicartClient({self.url!r}, webshop={self.webshop})"

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
            raise TransientError(self._redact(f"{where}: {type(exc).__name__}: {exc}")) from None
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
            raise AbicartError(method, int(error.get("code", 0)), self._redact(str(error.get("message", ""))))
        if status >= 400:
            raise PermanentError(f"{where}: answered HTTP {status}")
        return answer.get("result")

    # --- Articles --------------------------------------------------------------------------

    async def get_article(self, uid: str) -> dict[str, Any] | None:
        """The article, or None: Abicart answers ``null`` for a uid it does not have."""
        return _optional_object(await self.call("Article.get", int(uid), ARTICLE_FIELDS), "Article.get")

    async def list_articles(self, filters: dict[str, Any] | None = None, limit: int = 100,
                            offset: int = 0) -> list[dict[str, Any]]:
        result = await self.call("Article.list", ARTICLE_FIELDS,
                                 {"filters": filters or {}, "limit": limit, "offset": offset})
        return _objects(result, "Article.list")

    async def count_articles(self, filters: dict[str, Any] | None = None) -> int:
        return int(await self.call("Article.count", {"filters": filters or {}}))

    async def create_article(self, patch: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("Article.create", patch, ["uid", "articleNumber"]), "Article.create")

    async def set_article(self, uid: str, patch: dict[str, Any]) -> None:
        await self.call("Article.set", int(uid), patch)

    async def list_variants(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return _objects(await self.call("ArticleVariant.list", VARIANT_FIELDS, {"filters": filters}),
                        "ArticleVariant.list")

    async def set_variant(self, uid: str, patch: dict[str, Any]) -> None:
        await self.call("ArticleVariant.set", int(uid), patch)

    async def article_pages(self, page_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        total = await self.count_articles()
        for offset in range(0, total, page_size):
            page = await self.list_articles(limit=page_size, offset=offset)
            if not page:
                return
            yield page

    # --- Article groups (categories) ---------------------------------------------------------

    async def list_groups(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return _objects(await self.call("Articlegroup.list", GROUP_FIELDS, {"filters": filters or {}}),
                        "Articlegroup.list")

    async def create_group(self, patch: dict[str, Any]) -> dict[str, Any]:
        return _object(await self.call("Articlegroup.create", patch, GROUP_FIELDS), "Articlegroup.create")

    # --- Orders and customers ------------------------------------------------------------------

    async def get_order(self, uid: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The order and its items as objects (an order may name its items by uid only)."""
        data = _optional_object(await self.call("Order.get", int(uid), ORDER_FIELDS), "Order.get")
        if data is None:
            return None
        items = data.get("items") or []
        uids = [i for i in items if not isinstance(i, dict)]
        fetched = await asyncio.gather(*(self.call("OrderItem.get", int(i), ITEM_FIELDS) for i in uids))
        by_uid = {str(item["uid"]): item for i in fetched if (item := _optional_object(i, "OrderItem.get"))}
        return data, [i if isinstance(i, dict) else by_uid[str(i)]
                      for i in items if isinstance(i, dict) or str(i) in by_uid]

    async def get_order_state(self, uid: str) -> dict[str, Any] | None:
        """The fields that show an order's status and its admin note (no items)."""
        return _optional_object(await self.call("Order.get", int(uid), ORDER_STATE_FIELDS), "Order.get")

    async def set_order(self, uid: str, patch: dict[str, Any]) -> None:
        await self.call("Order.set", int(uid), patch)

    async def get_customer(self, uid: str) -> dict[str, Any] | None:
        return _optional_object(await self.call("Customer.get", int(uid), CUSTOMER_FIELDS), "Customer.get")

    async def customer_pages(self, page_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        offset = 0
        while True:
            page = _objects(await self.call("Customer.list", CUSTOMER_FIELDS, {"limit": page_size, "offset": offset}),
                            "Customer.list")
            if not page:
                return
            yield page
            if len(page) < page_size:
                return
            offset += page_size

    # --- Event listeners -----------------------------------------------------------------------

    async def list_listeners(self) -> list[dict[str, Any]]:
        return _objects(await self.call("EventListener.list", ["uid", "eventName", "url"]), "EventListener.list")

    async def create_listener(self, event_name: str, url: str) -> dict[str, Any]:
        result = await self.call("EventListener.create", {"authToken": self._token, "eventName": event_name,
                                                          "url": url})
        return _object(result, "EventListener.create")
