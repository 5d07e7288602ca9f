"""The in-memory Specter: per account its articles, customers, orders, stock and change flags.

Operations come in two kinds, as in the real system: what a shop does through the API
(``submit_*``, ``delete_*``) and what a Specter user does in Specter (``edit_article``,
``set_stock``, ``deliver``, ``set_status``, ``remove_order``, ``create_invoice``, reached through
the control API). Every change that Specter reports back flags the record in its flow and asks
``notify`` to call the account's registered callback. Changes made through the API to article
data do not flag article info (the shop already has them); stock changes always flag stock.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .flows import FlagFlow
from .model import (
    DEFAULT_SITE,
    DELIVERED,
    Article,
    Code,
    Customer,
    Order,
    OrderRow,
    SimAccount,
    SpecterError,
)

# The callback triggers checkAccountSettings registers.
STOCK_CHANGE = "actionStockChange"
ARTICLE_CHANGE = "actionArticleChange"
ORDER_CHANGE = "actionOrderChange"
REMOVE_ORDER = "actionRemoveOrder"
NEW_INVOICE = "actionNewInvoice"
TRIGGERS = (STOCK_CHANGE, ARTICLE_CHANGE, ORDER_CHANGE, REMOVE_ORDER, NEW_INVOICE)

StockView = tuple[str, dict[str, int]]  # (specterId, available per site) frozen at read time
Notify = Callable[["AccountState", str, dict[str, str]], None]


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as the order-status flow reports it, frozen at read time."""

    order_no: str
    external_order_no: str
    delivery_status: str
    status_id: str
    tracking_numbers: tuple[str, ...]


@dataclass(slots=True)
class ArticleInput:
    """One article of a newArticleSubmit, already read and checked."""

    article_no: str
    values: dict[str, Any]  # Article attributes that were sent
    initial_stock: int | None = None
    site: str = DEFAULT_SITE
    sent: dict[str, str] = field(default_factory=dict)


def _org_key(org_no: str) -> str:
    return "".join(c for c in org_no if c.isalnum())


class AccountState:
    def __init__(self, account: SimAccount, notify: Notify):
        self.account = account
        self._notify = notify
        self.articles: dict[str, Article] = {}
        self.customers: dict[str, Customer] = {}
        self.orders: dict[str, Order] = {}  # by order id
        self.order_ids_by_no: dict[str, str] = {}
        self.order_ids_by_external: dict[str, str] = {}  # the first order with that number
        self.stock_flow: FlagFlow[str, StockView] = FlagFlow()
        self.info_flow: FlagFlow[str, str] = FlagFlow()  # payload: the article's XML
        self.order_flow: FlagFlow[str, OrderView] = FlagFlow()
        self.callback_urls: dict[str, str] = {}
        self._ids = {
            kind: itertools.count(start)
            for kind, start in (("customer", 1001), ("article", 2001), ("order", 5001), ("order_no", 70001))
        }
        self._invoice_ids = itertools.count(9001)

    def _next_id(self, kind: str) -> str:
        return str(next(self._ids[kind]))

    # -- flags -----------------------------------------------------------------------------

    def flag_stock(self, article_nos: Iterable[str]) -> None:
        self.stock_flow.flag(article_nos)
        self._notify(self, STOCK_CHANGE, {})

    def flag_info(self, article_nos: Iterable[str]) -> None:
        self.info_flow.flag(article_nos)
        self._notify(self, ARTICLE_CHANGE, {})

    def flag_order(self, order: Order) -> None:
        self.order_flow.flag([order.order_id])
        self._notify(self, ORDER_CHANGE, {})

    def order_view(self, order_id: str) -> OrderView:
        o = self.orders[order_id]
        return OrderView(o.order_no, o.external_order_no, o.delivery_status, o.status_id, tuple(o.tracking_numbers))

    def stock_view(self, article_no: str) -> StockView:
        art = self.articles[article_no]
        return art.specter_id, art.available_by_site()

    # -- lookups ---------------------------------------------------------------------------

    def article(self, article_no: str) -> Article:
        try:
            return self.articles[article_no]
        except KeyError:
            raise SpecterError(Code.NOT_FOUND, f"article {article_no!r} does not exist") from None

    def order(self, order_id: str) -> Order:
        try:
            return self.orders[order_id]
        except KeyError:
            raise SpecterError(Code.NOT_FOUND, f"order id {order_id!r} does not exist") from None

    def order_by_no(self, order_no: str) -> Order:
        try:
            return self.orders[self.order_ids_by_no[order_no]]
        except KeyError:
            raise SpecterError(Code.NOT_FOUND, f"order number {order_no!r} does not exist") from None

    # -- what a shop does through the API ------------------------------------------------------

    def submit_articles(self, inputs: list[ArticleInput], force: bool) -> list[str]:
        """Create new articles; update existing ones only with ``force`` (never their stock)."""
        ids, stocked = [], []
        for item in inputs:
            art = self.articles.get(item.article_no)
            if art is None:
                art = Article(self._next_id("article"), item.article_no, **item.values)
                art.sent = item.sent
                if item.initial_stock is not None and art.stock_kept:
                    art.in_stock[item.site] = item.initial_stock
                    stocked.append(art.article_no)
                self.articles[art.article_no] = art
            elif force:
                for name, value in item.values.items():
                    setattr(art, name, value)
                art.sent = item.sent
            ids.append(art.specter_id)
        if stocked:
            self.flag_stock(stocked)
        return ids

    def delete_article(self, article_no: str) -> str:
        art = self.article(article_no)
        del self.articles[article_no]
        for flow in (self.stock_flow, self.info_flow):
            flow.discard(article_no)
        return art.specter_id

    def submit_customer(
        self, name: str, email: str, org_no: str, fields: dict[str, str], *, match_email: bool, match_org_no: bool
    ) -> str:
        """Match on e-mail, then on person/organisation number; a match is updated."""
        found = None
        if match_email and email:
            found = next((c for c in self.customers.values() if c.email.lower() == email.lower()), None)
        if found is None and match_org_no and _org_key(org_no):
            key = _org_key(org_no)
            found = next((c for c in self.customers.values() if _org_key(c.org_no) == key), None)
        if found is not None:
            found.name, found.email, found.org_no = name, email, org_no
            found.fields.update(fields)
            return found.customer_id
        customer = Customer(self._next_id("customer"), name, email, org_no, dict(fields))
        self.customers[customer.customer_id] = customer
        return customer.customer_id

    def submit_order(
        self,
        customer_id: str,
        external_order_no: str,
        rows: dict[int, OrderRow],
        fields: dict[str, str],
        *,
        site: str = "",
        allow_duplicate: bool = False,
    ) -> Order:
        if customer_id not in self.customers:
            raise SpecterError(Code.NOT_FOUND, f"customerId {customer_id!r} does not exist")
        existing = self.order_ids_by_external.get(external_order_no) if external_order_no else None
        if existing is not None and not allow_duplicate:
            raise SpecterError(
                Code.DUPLICATE, f"externalOrderNo {external_order_no!r} already exists as order id {existing}"
            )
        for n, row in rows.items():
            if row.article_no not in self.articles:
                raise SpecterError(Code.NOT_FOUND, f"articleNo_{n}: article {row.article_no!r} does not exist")
        order = Order(
            order_id=self._next_id("order"),
            order_no=self._next_id("order_no"),
            customer_id=customer_id,
            external_order_no=external_order_no,
            stock_site=site or DEFAULT_SITE,
            rows=list(rows.values()),
            fields=fields,
        )
        self.orders[order.order_id] = order
        self.order_ids_by_no[order.order_no] = order.order_id
        if external_order_no:
            self.order_ids_by_external.setdefault(external_order_no, order.order_id)
        self._book(order, reserve=1)
        return order

    def delete_order_by_external(self, external_order_no: str) -> Order:
        """The shop deleted its order: it leaves Specter and stops reserving stock."""
        order_id = self.order_ids_by_external.get(external_order_no)
        if order_id is None:
            raise SpecterError(Code.NOT_FOUND, f"externalOrderNo {external_order_no!r} does not exist")
        order = self.orders[order_id]
        self._forget(order)
        return order

    # -- what a Specter user does in Specter ------------------------------------------------------

    def edit_article(
        self, article_no: str, values: dict[str, Any], stock: dict[str, int] | None = None, *, quiet: bool = False
    ) -> Article:
        """Create or change one article; see :meth:`edit_articles`."""
        return self.edit_articles([(article_no, values, stock)], quiet=quiet)[0]

    def edit_articles(
        self, edits: list[tuple[str, dict[str, Any], dict[str, int] | None]], *, quiet: bool = False
    ) -> list[Article]:
        """Create or change articles ``(articleNo, attributes, stock per site or None)``; flags
        article info where data changed and stock where given, in one pass. ``quiet`` flags
        nothing (setting up an account, e.g. its service articles)."""
        done, info, stocked = [], [], []
        for article_no, values, stock in edits:
            art = self.articles.get(article_no)
            if art is None:
                art = self.articles[article_no] = Article(self._next_id("article"), article_no)
                info.append(article_no)
            elif any(getattr(art, name) != value for name, value in values.items()):
                info.append(article_no)
            for name, value in values.items():
                setattr(art, name, value)
            if stock is not None:
                art.in_stock.update(stock)
                stocked.append(article_no)
            done.append(art)
        if not quiet:
            if info:
                self.flag_info(info)
            if stocked:
                self.flag_stock(stocked)
        return done

    def set_stock(self, changes: list[tuple[str, str, int]]) -> int:
        """Set in-stock quantities ``(articleNo, site, inStock)`` in bulk; all or nothing."""
        articles = self.articles
        for article_no, _, _ in changes:
            if article_no not in articles:
                raise SpecterError(Code.NOT_FOUND, f"article {article_no!r} does not exist")
        for article_no, site, in_stock in changes:
            articles[article_no].in_stock[site or DEFAULT_SITE] = in_stock
        if changes:
            self.flag_stock([c[0] for c in changes])
        return len(changes)

    def deliver(self, order: Order, tracking_no: str = "") -> None:
        """The goods leave the shelf: in stock and reserved both drop, available stays."""
        if order.reserves_stock:
            moved = self._stock_rows(order)
            for art, qty in moved:
                art.in_stock[order.stock_site] = art.in_stock.get(order.stock_site, 0) - qty
                art.reserved[order.stock_site] = art.reserved.get(order.stock_site, 0) - qty
            if moved:
                self.flag_stock([art.article_no for art, _ in moved])
        order.delivery_status = DELIVERED
        if tracking_no:
            order.tracking_numbers.append(tracking_no)
        self.flag_order(order)

    def set_status(self, order: Order, status_id: str) -> None:
        """Change the order status; deleted orders ("5") stop reserving stock."""
        before = order.reserves_stock
        order.status_id = status_id
        if before != order.reserves_stock:
            self._book(order, reserve=1 if order.reserves_stock else -1)
        self.flag_order(order)

    def remove_order(self, order: Order) -> None:
        """Remove the order from Specter altogether; fires actionRemoveOrder."""
        self._forget(order)
        self._notify(self, REMOVE_ORDER, {"orderNo": order.order_no, "orderId": order.order_id})

    def create_invoice(self, order: Order, source: str = "") -> str:
        invoice_id = str(next(self._invoice_ids))
        order.invoice_ids.append(invoice_id)
        self._notify(
            self, NEW_INVOICE, {"orderId": order.order_id, "invoiceId": invoice_id, "invoiceSource": source}
        )
        return invoice_id

    # -- stock bookkeeping -------------------------------------------------------------------

    def _stock_rows(self, order: Order) -> list[tuple[Article, int]]:
        rows = []
        for row in order.rows:
            art = self.articles.get(row.article_no)
            if art is not None and art.stock_kept:
                rows.append((art, int(row.quantity)))
        return rows

    def _book(self, order: Order, reserve: int) -> None:
        rows = self._stock_rows(order)
        for art, qty in rows:
            site = order.stock_site
            art.reserved[site] = art.reserved.get(site, 0) + reserve * qty
        if rows:
            self.flag_stock([art.article_no for art, _ in rows])

    def _forget(self, order: Order) -> None:
        if order.reserves_stock:
            self._book(order, reserve=-1)
        del self.orders[order.order_id]
        del self.order_ids_by_no[order.order_no]
        if self.order_ids_by_external.get(order.external_order_no) == order.order_id:
            del self.order_ids_by_external[order.external_order_no]
        self.order_flow.discard(order.order_id)


class SpecterState:
    """Every simulated account, by sbmId, plus what the control API reports about calls."""

    def __init__(self, accounts: list[SimAccount]):
        self._accounts = list(accounts)
        self.notify: Notify = lambda account, trigger, tokens: None  # set by the callback dispatcher
        self.today: Callable[[], dt.date] = dt.date.today
        self.accounts: dict[int, AccountState] = {}
        self.request_counts: Counter[str] = Counter()  # "sbmId:action" -> calls
        self.reset()

    def reset(self) -> None:
        """Forget all data, flags, batches and callback registrations."""
        self.accounts = {a.sbm_id: AccountState(a, self._dispatch) for a in self._accounts}
        self.request_counts.clear()

    def _dispatch(self, account: AccountState, trigger: str, tokens: dict[str, str]) -> None:
        self.notify(account, trigger, tokens)

    def account(self, sbm_id: int | str) -> AccountState:
        try:
            return self.accounts[int(sbm_id)]
        except (KeyError, ValueError):
            raise SpecterError(Code.AUTH, f"unknown sbmId {sbm_id!r}") from None
