"""An async client for WooCommerce's REST API (``wp-json/wc/v3``) over a shared aiohttp session.

Authentication follows the shop URL's scheme, as WooCommerce's own client libraries do: over
HTTPS Basic auth (or the keys as query parameters, for hosts that strip ``Authorization``);
over plain HTTP only OAuth 1.0a one-legged signing is accepted. Answers are parsed with exact
decimals. Failures become :class:`TransientError` (429, 5xx, timeouts, lost connections and
HTML pages from firewalls) or :class:`WooCommerceError` (a 4xx with WooCommerce's code).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import msgspec
from multidict import CIMultiDictProxy
from yarl import URL

from adapters.woocommerce import oauth
from adapters.woocommerce.decode import loads
from gateway import http_problems
from gateway.adapter import ItemResult, expect_object, expect_objects
from gateway.errors import CredentialsRefused, PermanentError, TransientError
from gateway.model import InvalidInput

BATCH_LIMIT = 100  # more items in one batch request is HTTP 413
PAGES_AHEAD = 4  # catalogue pages asked for at once (as many as stock requests in flight by default)


class WooCommerceError(PermanentError):
    """A 4xx answer in WooCommerce's error format ``{"code", "message", "data": {"status"}}``."""

    def __init__(self, status: int, code: str, message: str, data: dict[str, Any] | None = None):
        super().__init__(f"WooCommerce answered {status} {code}: {message}")
        self.status = status
        self.code = code
        self.data = data or {}


class WooCommerceAccessError(WooCommerceError, CredentialsRefused):
    """401 or 403: the consumer key and secret are wrong, revoked, or lack the rights (a read-only
    key asked to write)."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    data: Any  # the decoded JSON, or the ``shape`` asked for
    where: str  # "WooCommerce GET orders/42", for errors about the answer

    def object(self) -> dict[str, Any]:
        """The answer as the one JSON object it must be (an order, a product, a webhook, …)."""
        return expect_object(self.data, self.where)

    def objects(self) -> list[dict[str, Any]]:
        """The answer as the list of JSON objects it must be (a page of a list)."""
        return expect_objects(self.data, self.where)


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class WooCommerceClient:
    def __init__(self, url: str, consumer_key: str, consumer_secret: str, http: aiohttp.ClientSession, *,
                 query_string_auth: bool = False, timeout: float = 30.0):
        self.site = url.rstrip("/")
        self.api = f"{self.site}/wp-json/wc/v3/"
        self._key = consumer_key
        self._secret = consumer_secret
        self._https = urlsplit(url).scheme == "https"
        self._query_auth = query_string_auth
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @classmethod
    def from_connection(cls, connection: Any, http: aiohttp.ClientSession, **kwargs: Any) -> WooCommerceClient:
        return cls(connection.url, connection.consumer_key, connection.consumer_secret, http,
                   query_string_auth=connection.query_string_auth, **kwargs)

    def __repr__(self) -> str:  # never the secret
        return f"WooCommerceClient({self.site!r}, key={self._key[:7]}…)"

    # --- Transport ---------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _signed(self, method: str, path: str, params: dict[str, str]) -> tuple[URL, dict[str, str]]:
        url = self.api + path
        auth: dict[str, str] = {}
        if not self._https:
            params = oauth.sign(method, url, params, self._key, self._secret)
        elif self._query_auth:
            params = {**params, "consumer_key": self._key, "consumer_secret": self._secret}
        else:
            token = base64.b64encode(f"{self._key}:{self._secret}".encode()).decode()
            auth = {"Authorization": f"Basic {token}"}
        # Encoded by hand so that the server sees exactly the bytes that were signed.
        query = "&".join(f"{oauth.enc(k)}={oauth.enc(v)}" for k, v in params.items())
        return URL(f"{url}?{query}" if query else url, encoded=True), auth

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                      body: Any = None, shape: type | None = None) -> Reply:
        """One API call; ``shape`` (a msgspec type) decodes just the fields needed from a large
        answer, such as the ids and errors of a batch, instead of every product in it."""
        url, auth = self._signed(method, path, {k: str(v) for k, v in (params or {}).items()})
        headers = {"Accept": "application/json", **auth}
        data = None
        if body is not None:
            data = json.dumps(body, default=_json_default).encode()
            headers["Content-Type"] = "application/json"
        where = f"WooCommerce {method} {path}"
        try:
            async with self._http.request(method, url, data=data, headers=headers,
                                          timeout=self._timeout, allow_redirects=False) as resp:
                raw = await resp.read()
                status, answer_headers = resp.status, resp.headers
        except TimeoutError:
            raise TransientError(f"{where}: timed out") from None
        except aiohttp.ClientError as exc:
            raise TransientError(self._redact(f"{where}: {http_problems.describe(exc, url)}")) from None
        if status == 429 or status >= 500:
            raise TransientError(f"{where}: answered {status}")
        try:
            answer = _decode_shape(raw, shape) if shape is not None and status < 300 else loads(raw)
        except InvalidInput:
            raise TransientError(f"{where}: answered {status} with a page that is not JSON "
                                 "(a firewall challenge or the host's error page?)") from None
        if status >= 400:
            error = answer if isinstance(answer, dict) else {}
            refused = WooCommerceAccessError if status in (401, 403) else WooCommerceError
            raise refused(status, str(error.get("code", "")), self._redact(str(error.get("message", ""))),
                                   error.get("data") if isinstance(error.get("data"), dict) else None)
        if status >= 300:
            raise PermanentError(f"{where}: redirected ({status}); check the shop URL")
        return Reply(status, answer_headers, answer, where)

    async def _get_or_none(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            return (await self.request("GET", path, params)).object()
        except WooCommerceError as exc:
            if exc.status == 404 or exc.code.endswith("_invalid_id"):
                return None
            raise

    async def pages(self, path: str, params: dict[str, Any] | None = None, per_page: int = 100,
                    read_ahead: int = 1) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page of a list, following ``X-WP-TotalPages``, in order.

        With ``read_ahead`` above 1, up to that many of the next pages are asked for at once
        while the caller works on the one it has (the first page alone, to learn how many there
        are): a shop answers one request slowly but several at once well. At most that many
        pages are held, so memory does not grow with the list; closing the iterator cancels
        what is still being asked for."""
        asked = {**(params or {}), "per_page": per_page}
        reply = await self.request("GET", path, {**asked, "page": 1})
        total_pages = int(reply.headers.get("X-WP-TotalPages", "1") or 1)
        if not reply.data:
            return
        yield reply.objects()
        ahead: deque[asyncio.Task[Reply]] = deque()
        next_page = 2
        try:
            while next_page <= total_pages or ahead:
                while next_page <= total_pages and len(ahead) < max(1, read_ahead):
                    ahead.append(asyncio.ensure_future(self.request("GET", path, {**asked, "page": next_page})))
                    next_page += 1
                reply = await ahead.popleft()
                total_pages = int(reply.headers.get("X-WP-TotalPages", "1") or 1)
                if not reply.data:
                    return
                yield reply.objects()
        finally:
            for task in ahead:
                task.cancel()
            await asyncio.gather(*ahead, return_exceptions=True)

    async def _all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [item async for page in self.pages(path, params) for item in page]

    async def batch_update(self, path: str, items: list[dict[str, Any]]) -> list[ItemResult]:
        """``POST path`` (a ``…/batch`` endpoint) with ``update`` items, at most 100 a request;
        one result per item, keyed by its id, since a failing item comes back inline."""
        results: list[ItemResult] = []
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = items[start:start + BATCH_LIMIT]
            answer = (await self.request("POST", path, body={"update": chunk}, shape=_BatchAnswer)).data
            answered = [msgspec.structs.asdict(item) for item in answer.update]
            for item, outcome in zip(chunk, answered + [None] * (len(chunk) - len(answered)), strict=True):
                results.append(_item_result(str(item["id"]), outcome))
        return results

    # --- Resources ---------------------------------------------------------------------------

    async def get_order(self, order_id: str) -> dict[str, Any] | None:
        return await self._get_or_none(f"orders/{order_id}")

    async def update_order(self, order_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("PUT", f"orders/{order_id}", body=fields)).object()

    async def order_notes(self, order_id: str) -> list[dict[str, Any]]:
        """Every note of an order (one unpaged list, newest first)."""
        return (await self.request("GET", f"orders/{order_id}/notes")).objects()

    async def add_order_note(self, order_id: str, note: str, *, customer_note: bool) -> dict[str, Any]:
        """A note on the order; a customer note is shown to the customer and mailed to them."""
        body = {"note": note, "customer_note": customer_note}
        return (await self.request("POST", f"orders/{order_id}/notes", body=body)).object()

    async def get_product(self, product_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """A product and, for a variable one, all its variations."""
        product = await self._get_or_none(f"products/{product_id}")
        if product is None:
            return None
        variations = await self._all(f"products/{product_id}/variations") if product.get("type") == "variable" else []
        return product, variations

    async def get_variations(self, product_id: str) -> list[dict[str, Any]]:
        return await self._all(f"products/{product_id}/variations")

    async def get_customer(self, customer_id: str) -> dict[str, Any] | None:
        return await self._get_or_none(f"customers/{customer_id}")

    def product_pages(self, per_page: int = 100) -> AsyncIterator[list[dict[str, Any]]]:
        """The catalogue, for walks through all of it (the bulk export, a reconciliation)."""
        return self.pages("products", {"orderby": "id", "order": "asc"}, per_page, read_ahead=PAGES_AHEAD)

    def customer_pages(self, per_page: int = 100) -> AsyncIterator[list[dict[str, Any]]]:
        return self.pages("customers", {"orderby": "id", "order": "asc"}, per_page)

    async def find_by_sku(self, sku: str) -> dict[str, Any] | None:
        """The product or variation (``type: variation`` with ``parent_id``) with this SKU."""
        found = (await self.request("GET", "products", {"sku": sku})).objects()
        return next((p for p in found if p.get("sku") == sku), None)

    async def find_by_skus(self, skus: list[str]) -> list[dict[str, Any]]:
        """Products and variations with any of these SKUs (at most 100), in one request: the
        ``sku`` filter takes a comma-separated list."""
        found = (await self.request("GET", "products", {"sku": ",".join(skus), "per_page": 100})).objects()
        wanted = set(skus)
        return [p for p in found if p.get("sku") in wanted]

    async def create_product(self, fields: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("POST", "products", body=fields)).object()

    async def update_product(self, product_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("PUT", f"products/{product_id}", body=fields)).object()

    async def update_variation(self, parent_id: str, variation_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("PUT", f"products/{parent_id}/variations/{variation_id}", body=fields)).object()

    async def upsert_category(self, name: str, parent: int = 0, **fields: Any) -> int:
        """Create a category, or find the one with this name under ``parent`` (WooCommerce
        answers 400 ``term_exists`` with its id)."""
        try:
            created = (await self.request("POST", "products/categories",
                                          body={"name": name, "parent": parent, **fields})).object()
        except WooCommerceError as exc:
            if exc.code == "term_exists" and exc.data.get("resource_id"):
                return int(exc.data["resource_id"])
            raise
        return int(created["id"])

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self._all("webhooks")

    async def create_webhook(self, topic: str, delivery_url: str, secret: str, name: str = "") -> dict[str, Any]:
        body = {"name": name or f"Specter Gateway {topic}", "topic": topic, "delivery_url": delivery_url,
                "secret": secret, "status": "active"}
        return (await self.request("POST", "webhooks", body=body)).object()

    async def update_webhook(self, webhook_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return (await self.request("PUT", f"webhooks/{webhook_id}", body=fields)).object()

    async def delete_webhook(self, webhook_id: int) -> dict[str, Any]:
        """Delete for good: webhooks cannot be trashed, so WooCommerce wants ``force=true``."""
        return (await self.request("DELETE", f"webhooks/{webhook_id}", {"force": "true"})).object()


class _BatchItem(msgspec.Struct):
    id: int | str = 0
    error: dict[str, Any] | None = None


class _BatchAnswer(msgspec.Struct):
    update: list[_BatchItem] = []


def _decode_shape(raw: bytes, shape: type) -> Any:
    try:
        return msgspec.json.decode(raw, type=shape)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidInput(f"not the expected answer: {exc}") from None


def _item_result(key: str, outcome: Any) -> ItemResult:
    if not isinstance(outcome, dict):
        return ItemResult(key=key, error="WooCommerce did not answer for this item", transient=True)
    error = outcome.get("error")
    if isinstance(error, dict):
        status = (error.get("data") or {}).get("status", 0)
        return ItemResult(key=key, error=f"{error.get('code', '')}: {error.get('message', '')}",
                          transient=isinstance(status, int) and status >= 500)
    return ItemResult(key=key, shop_id=str(outcome.get("id", "")))
