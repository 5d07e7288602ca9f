"""The Specter client: one instance per Specter account, over aiohttp.

Every call goes through :meth:`SpecterClient._call`, which signs it (see :mod:`.actions` for what
each action signs), sends Latin-1, and turns every failure into a :class:`SpecterTransientError`
or :class:`SpecterPermanentError` whose text holds neither the keys nor the signature. The writes
take the gateway's own types (:class:`~gateway.specter.documents.SpecterOrder`, the domain's
customers and articles); :mod:`.forms` turns them into Specter's fields.

Batch reads: when Specter answers error 99 (an earlier batch is still open), use
:func:`read_with_recovery`, which re-reads the open batch and says which batch it read; store
what was read, acknowledge *that* batch, then read again with a fresh batch number.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import urljoin

import aiohttp
import msgspec
import yarl

from gateway import http_problems, metrics
from gateway.model import Article, Customer
from gateway.settings import SpecterAccount
from gateway.specter import forms, wire
from gateway.specter.actions import ACTIONS, DELETE_ARTICLE_ACTION, DELETE_ORDER_ACTION
from gateway.specter.documents import SpecterOrder
from gateway.specter.errors import (
    OpenBatchError,
    SpecterError,
    SpecterTransientError,
    error_for_status,
)
from gateway.specter.wire import ArticleInfoPage, OrderChangesPage, StockChange, TextAnswer

T = TypeVar("T")

MAX_ARTICLES_PER_CALL = 100

try:
    from zoneinfo import ZoneInfo

    _SPECTER_TZ: dt.tzinfo | None = ZoneInfo("Europe/Stockholm")
except Exception:  # no time zone database: the host's local date
    _SPECTER_TZ = None


def today() -> str:
    """Today's date in Sweden, where Specter checks the date signature of checkAccountSettings."""
    return dt.datetime.now(_SPECTER_TZ).date().isoformat()


class OrderReceipt(msgspec.Struct, frozen=True):
    order_id: str
    order_no: str = ""  # may be absent from the answer


class SpecterClient:
    def __init__(
        self, account: SpecterAccount, session: aiohttp.ClientSession | None = None, *, timeout: float = 30
    ):
        self.account = account
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._own_session = session is None
        self._session = session

    def __repr__(self) -> str:
        # Never the keys: this shows up in logs and tracebacks.
        a = self.account
        return f"SpecterClient(account={a.id!r}, sbm_id={a.sbm_id}, api_version={a.api_version})"

    async def close(self) -> None:
        """Close the HTTP session, only if this client created it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- transport ---------------------------------------------------------------------------

    def _redact(self, exc: SpecterError, key: str) -> None:
        """Blank the keys and the signature out of an error, in case Specter echoed them."""
        for secret in (self.account.user_key, self.account.integration_key, key):
            if secret:
                exc.message = exc.message.replace(secret, "***")
                exc.args = tuple(str(arg).replace(secret, "***") for arg in exc.args)

    async def _call(
        self,
        action_name: str,
        parse: Callable[[bytes, str], T],
        query: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        *,
        use_xml: int = wire.TEXT,
    ) -> T:
        """Send one signed call and parse its answer with ``parse(body, action_name)``."""
        action = ACTIONS[action_name]
        params = wire.build_query(self.account, action, query or {}, use_xml=use_xml, form=form or {})
        key = dict(params)["key"]
        # Encoded here, not by aiohttp, which would send the query as UTF-8.
        query_string = wire.encode_form(params)
        url = yarl.URL(f"{urljoin(self.account.base_url, action.endpoint)}?{query_string}", encoded=True)
        body = headers = None
        if action.method == "POST":
            body = wire.encode_form(form or {}).encode("ascii")
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            with metrics.timed(metrics.SPECTER_CALLS, action.name):
                async with self._session.request(
                    action.method, url, data=body, headers=headers, timeout=self.timeout
                ) as response:
                    answer = await response.read()
                    if response.status != 200:
                        raise error_for_status(response.status, response.reason or "", action=action.name)
                return parse(answer, action.name)
        except SpecterError as exc:
            self._redact(exc, key)
            raise
        except TimeoutError:
            message = f"no answer within {self.timeout.total} s"
            raise SpecterTransientError("timeout", message, action=action.name) from None
        except aiohttp.ClientError as exc:
            # The exception's text may hold the URL and with it the signature: say what happened in
            # words made from the base URL alone.
            problem = http_problems.describe(exc, self.account.base_url, with_text=False)
            raise SpecterTransientError("connection", problem, action=action.name) from None

    async def _text(
        self, action_name: str, query: Mapping[str, str] | None = None, form: Mapping[str, str] | None = None
    ) -> TextAnswer:
        return await self._call(action_name, wire.parse_text_answer, query, form)

    async def _xml(self, action_name: str, query: Mapping[str, str]) -> ET.Element:
        return await self._call(action_name, wire.parse_xml, query, use_xml=wire.XML)

    async def _id(self, action_name: str, form: Mapping[str, str], what: str) -> str:
        answer = await self._text(action_name, form=form)
        if not answer.id:
            raise SpecterTransientError("bad answer", f"success without a {what}", action=action_name)
        return answer.id

    # -- settings ----------------------------------------------------------------------------

    async def check_account_settings(
        self, *, stock_url: str, article_url: str, order_url: str, remove_order_url: str, invoice_url: str
    ) -> None:
        """Register the trigger URLs Specter calls; an empty URL turns that trigger off."""
        await self._text(
            "checkAccountSettings",
            {
                "date": today(),
                "actionStockChange": stock_url,
                "actionArticleChange": article_url,
                "actionOrderChange": order_url,
                "actionRemoveOrder": remove_order_url,
                "actionNewInvoice": invoice_url,
            },
        )

    # -- writes ------------------------------------------------------------------------------

    async def submit_customer(
        self,
        customer: Customer,
        *,
        ignore_control_email: bool,
        ignore_control_org_no: bool,
        force_update: bool = False,
    ) -> str:
        """Create or match the customer; returns Specter's customerId."""
        form = forms.customer_form(
            customer,
            ignore_control_email=ignore_control_email,
            ignore_control_org_no=ignore_control_org_no,
            force_update=force_update,
        )
        return await self._id("newCustomerSubmit", form, "customerId")

    async def submit_articles(
        self,
        articles: Sequence[Article],
        *,
        force_update: bool,
        create_stock: bool,
        webshop_id: str = "",
        stock_site_id: str = "",
    ) -> str:
        """Create or update up to 100 articles in one call; returns the id Specter answers."""
        if not 1 <= len(articles) <= MAX_ARTICLES_PER_CALL:
            raise ValueError(
                f"submit_articles takes 1 to {MAX_ARTICLES_PER_CALL} articles a call, not {len(articles)}"
            )
        form = forms.articles_form(
            articles,
            force_update=force_update,
            create_stock=create_stock,
            webshop_id=webshop_id,
            stock_site_id=stock_site_id,
        )
        return (await self._text("newArticleSubmit", form=form)).id

    async def delete_article(self, article_no: str) -> None:
        await self._text(DELETE_ARTICLE_ACTION, form={"articleNo": article_no})

    async def submit_order(self, order: SpecterOrder) -> OrderReceipt:
        """Create the order; returns Specter's orderId (and orderNo when it answers one).

        A duplicate externalOrderNo raises :class:`DuplicateOrderError`."""
        if not order.customer_id:
            raise ValueError("submit_order needs the order's customer_id (Specter signs it)")
        answer = await self._text("newOrderSubmit", form=forms.order_form(order))
        if not answer.id:
            raise SpecterTransientError("bad answer", "success without an orderId", action="newOrderSubmit")
        # ``1;orderId;orderNo``: status changes and removals name the order by its orderNo.
        return OrderReceipt(order_id=answer.id, order_no=answer.other[0] if answer.other else "")

    async def delete_order(self, external_order_no: str) -> None:
        await self._text(DELETE_ORDER_ACTION, form={"externalOrderNo": external_order_no})

    async def submit_delivery(self, order_id: str, fields: Mapping[str, str]) -> str:
        return (await self._text("newDeliverySubmit", form={"orderId": order_id, **fields})).id

    async def submit_invoice(self, order_id: str, fields: Mapping[str, str]) -> str:
        return (await self._text("newInvoiceSubmit", form={"orderId": order_id, **fields})).id

    # -- batch reads and acknowledgements ----------------------------------------------------

    async def read_stock_changes(self, batch_no: str, *, multiple_sites: bool = False) -> list[StockChange]:
        """Flagged stock changes; per stock site when ``multiple_sites`` (sum with wire.sum_stock)."""
        if multiple_sites:
            query = {"batchNo": batch_no, "getMultipleStocksites": "1"}
            return wire.parse_stock_xml(await self._xml("getArticleExternalNeedUpdate", query))
        return await self._call("getArticleExternalNeedUpdate", wire.parse_stock_text, {"batchNo": batch_no})

    async def ack_stock(self, batch_no: str) -> None:
        await self._ack("updateArticlesFromBatch", batch_no)

    async def read_article_infos(self, batch_no: str, limit: int | None = None) -> ArticleInfoPage:
        # The limit parameter's name is inferred from the answer's responseMaxLimit element.
        query = {"batchNo": batch_no} | ({"responseMaxLimit": str(limit)} if limit else {})
        return wire.parse_article_infos(await self._xml("getArticleInfoExternalNeedUpdate", query))

    async def ack_article_infos(self, batch_no: str) -> None:
        await self._ack("updateArticleInfosFromBatch", batch_no)

    async def read_order_changes(self, batch_no: str) -> OrderChangesPage:
        return wire.parse_order_changes(await self._xml("getOrdersExternalNeedUpdate", {"batchNo": batch_no}))

    async def ack_orders(self, batch_no: str) -> None:
        await self._ack("updateOrdersFromBatch", batch_no)

    async def clear_article_batch(self, batch_no: str) -> None:
        """Reset a stuck stock batch."""
        await self._ack("clearArticleBatch", batch_no, {"clearSelf": "1"})

    async def _ack(self, action_name: str, batch_no: str, extra: Mapping[str, str] | None = None) -> None:
        await self._call(action_name, wire.check_ack, {"batchNo": batch_no, **(extra or {})})


async def read_with_recovery(read: Callable[[str], Awaitable[T]], batch_no: str) -> tuple[T, str]:
    """``read(batch_no)``; on error 99, read the batch Specter says is open instead.

    Returns what was read and the batch number actually read, which is the one to acknowledge.
    ``read`` is a client method such as ``client.read_order_changes`` (use functools.partial
    for ``multiple_sites``)."""
    try:
        return await read(batch_no), batch_no
    except OpenBatchError as exc:
        if not exc.open_batch_no or exc.open_batch_no == batch_no:
            raise
        return await read(exc.open_batch_no), exc.open_batch_no
