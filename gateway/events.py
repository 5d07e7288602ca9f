"""Every kind of event the gateway records, each with its payload as a typed Struct.

An event is about one tenant (a shop's order, an export, a push to one shop) or about one
Specter account (a callback or a pull, shared by every shop on the account): a
:class:`TenantEvent` always has its ``tenant_id``, an :class:`AccountEvent` has none. Each
class names its kind once (``kind``); the store keeps that string and the payload as JSON
(:meth:`GatewayEvent.to_new_event`), and a job turns them back into the typed event before its
handler runs (:func:`decode`), so a payload that does not fit fails there, by name.

A plugin adds kinds of its own by subclassing :class:`TenantEvent` or :class:`AccountEvent`
and registering a handler for the class (``register_event_handlers``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

import msgspec

from gateway.errors import PermanentError
from gateway.model import OrderStatusUpdate, ShopAction, ShopObject
from gateway.specter.wire import ArticleInfo
from gateway.store.base import Event, NewEvent

ExportMode = Literal["new", "all"]
ReconcileTrigger = Literal["demand", "schedule"]

# What the stored event says about itself outside the payload.
_NOT_PAYLOAD = frozenset({"id", "attempts", "tenant_id", "account_id"})


class GatewayEvent(msgspec.Struct, kw_only=True, frozen=True):
    kind: ClassVar[str]  # the event log's name for this kind, e.g. "shop.order"
    # A second event of this kind and subject that arrives while the first still waits adds
    # nothing (a "work needed" hint).
    coalesce: ClassVar[bool] = False

    account_id: str
    # The stored event this one was read from (0 before it is recorded), and how many runs it
    # has started, this one included.
    id: int = 0
    attempts: int = 0

    @property
    def subject(self) -> str:
        """What the event is about; jobs on one subject (of one tenant or account) never overlap."""
        return self.kind

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        return {key: value for key, value in data.items() if key not in _NOT_PAYLOAD}

    def to_new_event(self, *, idempotency_key: str | None = None, not_before: float | None = None) -> NewEvent:
        return NewEvent(kind=self.kind, tenant_id=self._tenant_id(), account_id=self.account_id, subject=self.subject,
                        idempotency_key=idempotency_key, payload=self.payload(), not_before=not_before,
                        coalesce=self.coalesce)

    def _tenant_id(self) -> str | None:
        return None


class TenantEvent(GatewayEvent, kw_only=True, frozen=True):
    """An event of one shop (tenant), which belongs to the Specter account ``account_id``."""

    tenant_id: str

    def _tenant_id(self) -> str | None:
        return self.tenant_id


class AccountEvent(GatewayEvent, kw_only=True, frozen=True):
    """An event of a Specter account, for every shop on it."""


E = TypeVar("E", bound=GatewayEvent)


class UndecodableEvent(PermanentError):
    """A stored event that does not fit its kind's type: running it again cannot help."""


def decode(record: Event, event_type: type[E]) -> E:
    """The typed event a stored one stands for."""
    fields = {**record.payload, "id": record.id, "attempts": record.attempts, "account_id": record.account_id}
    if issubclass(event_type, TenantEvent):
        fields["tenant_id"] = record.tenant_id
    try:
        return msgspec.convert(fields, event_type, strict=False)
    except msgspec.ValidationError as exc:
        raise UndecodableEvent(f"a {record.kind!r} event that does not decode: {exc}") from None


# -- shop to Specter ---------------------------------------------------------------------------


class ShopChange(TenantEvent, kw_only=True, frozen=True):
    """A shop's object changed (a webhook, or the poller found it): the job fetches it anew."""

    object: ClassVar[ShopObject]
    action: ShopAction  # "export": an operator asked to send it, whatever the export mode
    object_id: str
    data: dict[str, Any] = {}  # what the shop sent, kept for the event log

    @property
    def subject(self) -> str:
        return f"{self.object}:{self.object_id}"


class ShopOrder(ShopChange, kw_only=True, frozen=True):
    kind = "shop.order"
    object = "order"


class ShopCustomer(ShopChange, kw_only=True, frozen=True):
    kind = "shop.customer"
    object = "customer"


class ShopProduct(ShopChange, kw_only=True, frozen=True):
    kind = "shop.product"
    object = "product"


SHOP_CHANGES: dict[ShopObject, type[ShopChange]] = {c.object: c for c in (ShopOrder, ShopCustomer, ShopProduct)}


class Export(TenantEvent, kw_only=True, frozen=True):
    """A bulk export to Specter: ``new`` leaves what Specter has alone, ``all`` updates it."""

    what: ClassVar[Literal["products", "customers"]]
    mode: ExportMode = "new"

    @property
    def subject(self) -> str:
        return f"export:{self.what}"


class ExportProducts(Export, kw_only=True, frozen=True):
    kind = "export.products"
    what = "products"


class ExportCustomers(Export, kw_only=True, frozen=True):
    kind = "export.customers"
    what = "customers"


EXPORTS: dict[str, type[Export]] = {c.what: c for c in (ExportProducts, ExportCustomers)}


# -- Specter to shop: an account's callbacks and pulls -----------------------------------------


class SpecterCallback(AccountEvent, kw_only=True, frozen=True):
    """Specter's trigger (or the poller): ``query`` is what the callback's URL carried."""

    flow: ClassVar[str]  # Specter's trigger name
    query: dict[str, str] = {}

    @property
    def subject(self) -> str:
        return f"pull:{self.flow}"


class StockChanged(SpecterCallback, kw_only=True, frozen=True):
    kind = "specter.stock"
    flow = "stock"
    coalesce = True


class ArticlesChanged(SpecterCallback, kw_only=True, frozen=True):
    kind = "specter.article"
    flow = "article"
    coalesce = True


class OrdersChanged(SpecterCallback, kw_only=True, frozen=True):
    kind = "specter.order"
    flow = "order"
    coalesce = True


class OrderRemoved(SpecterCallback, kw_only=True, frozen=True):
    """actionRemoveOrder: each names its order, so none coalesces with another."""

    kind = "specter.remove-order"
    flow = "remove-order"

    @property
    def order_no(self) -> str:
        return self.query.get("orderNo", "")


class InvoiceCreated(SpecterCallback, kw_only=True, frozen=True):
    kind = "specter.invoice"
    flow = "invoice"


CALLBACKS: dict[str, type[SpecterCallback]] = {
    c.flow: c for c in (StockChanged, ArticlesChanged, OrdersChanged, OrderRemoved, InvoiceCreated)
}


# -- Specter to shop: what was read, pushed to each shop --------------------------------------


class StockPush(TenantEvent, kw_only=True, frozen=True):
    """Send the shop its pending stock levels (kept by the store, not in the event)."""

    kind = "stock.push"
    coalesce = True


class ArticlesPush(TenantEvent, kw_only=True, frozen=True):
    """One page of article data read from Specter, for one shop."""

    kind = "articles.push"
    items: list[ArticleInfo] = []
    batch_no: str = ""
    importing: bool = msgspec.field(default=False, name="import")  # create what the shop lacks
    # A reconciliation saw the shop show other data than these (edited there behind the
    # gateway's back): written even where the gateway last wrote the same.
    drifted: bool = False


class OrdersPush(TenantEvent, kw_only=True, frozen=True):
    """Order changes read from Specter, for one shop."""

    kind = "orders.push"
    updates: list[OrderStatusUpdate] = []
    batch_no: str = ""


class StockRealign(TenantEvent, kw_only=True, frozen=True):
    """An order no longer holds stock in the shop (cancelled there, or deleted in Specter), and
    the shop put its items back: give each of the order's articles Specter's level again where
    the shop's differs.

    Its subject is the stock push's, so it never runs beside a push of the same shop: a level
    it writes cannot overtake a newer one a push is writing, and a newer level read meanwhile
    is pushed after it."""

    kind = "stock.realign"
    order_id: str

    @property
    def subject(self) -> str:
        return StockPush.kind


# -- operations an operator starts for one shop -------------------------------------------------


class StockResync(TenantEvent, kw_only=True, frozen=True):
    """"Update stock now": send the shop every level the gateway keeps for the account."""

    kind = "stock.resync"

    @property
    def subject(self) -> str:
        return "stock:resync"


class ProductImport(TenantEvent, kw_only=True, frozen=True):
    """Import Specter's articles into the shop, creating what it lacks."""

    kind = "import.products"

    @property
    def subject(self) -> str:
        return "import"


class Reconcile(TenantEvent, kw_only=True, frozen=True):
    """Compare the shop with Specter (gateway/engine/reconcile.py): stock levels and prices,
    healing the drift Specter owns, and the shop's recent orders, listing those Specter lacks.

    Its subject keeps reconciliations of one shop from ever running side by side; a request made
    while one waits to start adds nothing (it will see the same shop)."""

    kind = "reconcile"
    coalesce = True
    trigger: ReconcileTrigger = "demand"

    @property
    def subject(self) -> str:
        return "reconcile"
