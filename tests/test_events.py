"""The event kinds: each one recorded and read back is the same event, and kinds are unique."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from gateway import events
from gateway.errors import ConfigError
from gateway.events import GatewayEvent, decode
from gateway.jobs.registry import HandlerRegistry
from gateway.model import Article, OrderStatusUpdate
from gateway.specter.wire import ArticleInfo
from gateway.store.base import Event

SCOPE = {"tenant_id": "acme-woo", "account_id": "acme"}
EXAMPLES: list[GatewayEvent] = [
    events.ShopOrder(**SCOPE, action="created", object_id="17", data={"status": "processing"}),
    events.ShopCustomer(**SCOPE, action="deleted", object_id="5"),
    events.ShopProduct(**SCOPE, action="updated", object_id="9"),
    events.ExportProducts(**SCOPE, mode="all"),
    events.ExportCustomers(**SCOPE),
    events.StockChanged(account_id="acme", query={"calltype": "1"}),
    events.ArticlesChanged(account_id="acme"),
    events.OrdersChanged(account_id="acme"),
    events.OrderRemoved(account_id="acme", query={"orderNo": "1001"}),
    events.InvoiceCreated(account_id="acme", query={"invoiceNo": "7"}),
    events.StockPush(**SCOPE),
    events.ArticlesPush(**SCOPE, batch_no="G1", importing=True, items=[
        ArticleInfo(article=Article(article_no="A-1", name="Mug", price_ex_vat=Decimal("79.20"),
                                    vat_percent=Decimal("25")), publish_in_webshop=True)]),
    events.OrdersPush(**SCOPE, batch_no="G2", updates=[
        OrderStatusUpdate(specter_order_no="1001", delivered=True, tracking_numbers=["TR1"])]),
    events.StockResync(**SCOPE),
    events.ProductImport(**SCOPE),
]


def stored(event: GatewayEvent, event_id: int = 7, attempts: int = 1) -> Event:
    new = event.to_new_event()
    return Event(id=event_id, kind=new.kind, tenant_id=new.tenant_id, account_id=new.account_id,
                 subject=new.subject, idempotency_key=None, payload=new.payload, status="running",
                 attempts=attempts, revision=1, next_attempt_at=0.0, last_error=None, result=None,
                 created_at=0.0, updated_at=0.0)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.kind)
def test_an_event_read_back_is_the_event_recorded(event):
    record = stored(event)
    assert decode(record, type(event)) == msgspec.structs.replace(event, id=7, attempts=1)


def test_kinds_are_unique():
    kinds = [type(e).kind for e in EXAMPLES]
    assert len(set(kinds)) == len(kinds)


def test_tenant_events_name_their_tenant_and_account_events_none():
    assert stored(events.ShopOrder(**SCOPE, action="created", object_id="1")).tenant_id == "acme-woo"
    assert stored(events.StockChanged(account_id="acme")).tenant_id is None


def test_subjects_and_coalescing():
    new = {type(e).kind: e.to_new_event() for e in EXAMPLES}
    assert new["shop.order"].subject == "order:17"
    assert new["export.products"].subject == "export:products"
    assert new["specter.remove-order"].subject == "pull:remove-order"
    assert new["articles.push"].payload["import"] is True  # the stored name of ``importing``
    assert {k for k, e in new.items() if e.coalesce} == {"specter.stock", "specter.article", "specter.order",
                                                          "stock.push"}


def test_a_handler_is_registered_for_an_event_class():
    registry = HandlerRegistry()

    async def handler(gw, event):
        return None

    registry.register(events.ShopOrder, handler)
    with pytest.raises(ConfigError, match="two plugins handle the event kind 'shop.order'"):
        registry.register(events.ShopOrder, handler)
    with pytest.raises(ConfigError, match="registered for an event class"):
        registry.register("shop.customer", handler)
