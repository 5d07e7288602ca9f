"""What an adapter needs besides the hookspecs: its marker and the small types hooks exchange."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

import msgspec
import pluggy

from gateway.errors import PermanentError

hookimpl = pluggy.HookimplMarker("specter_gateway")


class Simulator(Protocol):
    """A platform's fake shop, served on its own for demos and benchmarks by
    ``specter-gateway simulate PLATFORM [--host H] [--port N] [its own options]``."""

    default_port: int

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add its own options; ``--host`` and ``--port`` are always there."""

    def run(self, host: str, port: int, options: argparse.Namespace) -> None:
        """Serve until interrupted."""


class DemoProduct(msgspec.Struct, kw_only=True, frozen=True):
    """A product of the demo's catalogue, as a shop's admin enters it (the price ex VAT)."""

    article_no: str
    name: str
    price_ex_vat: Decimal
    vat_percent: Decimal = Decimal(25)
    stock: int = 0


class DemoBuyer(msgspec.Struct, kw_only=True, frozen=True):
    """Who places a demo order."""

    first_name: str
    last_name: str
    email: str
    street: str
    zip_code: str
    city: str
    phone: str = ""
    country: str = "SE"


class DemoShop(Protocol):
    """A platform's simulated shop as ``specter-gateway demo`` runs it, in the demo's own event
    loop: started, filled with the demo's catalogue before it is connected, then shopped in."""

    async def start(self, workdir: Path) -> dict[str, Any]:
        """Start the shop (files it needs go in ``workdir``); answer the tenant's ``shop``
        connection settings for it."""

    async def attach(self, gateway_url: str, tenant_id: str, inbound_token: str) -> None:
        """Learn where the gateway is and which tenant the shop is, before it is connected (a
        shop that is told its webhooks' URL by ``register_webhooks`` needs nothing)."""

    async def add_products(self, products: list[DemoProduct]) -> None:
        """The shop's admin enters these products (before the shop is connected)."""

    async def place_order(self, items: list[tuple[str, int]], buyer: DemoBuyer) -> str:
        """A shopper checks out ``items`` (article number, quantity), paid at checkout and
        shipped; the shop tells the gateway as it does; answer the order's number."""

    async def stop(self) -> None: ...


class Platform(msgspec.Struct, kw_only=True, frozen=True):
    """What an adapter tells the gateway about its platform (answer of ``shop_platform``)."""

    name: str  # the value of a tenant's ``platform``
    title: str = ""
    # Validates a tenant's ``shop`` connection settings; unknown keys are refused.
    connection: type[msgspec.Struct] | None = None
    secret_fields: tuple[str, ...] = ()  # stored encrypted, shown masked
    topics: tuple[str, ...] = ()  # what register_webhooks can subscribe to
    simulator: Simulator | None = None  # its fake shop, if it has one
    # Makes a simulated shop for ``specter-gateway demo``, if the platform has one.
    demo_shop: Callable[[], DemoShop] | None = None
    # Whether a product can be created unpublished (hidden from visitors until someone publishes it).
    unpublished_products: bool = False
    # Why an order status (a value of a tenant's order_status_map) is none this platform can set,
    # or None when it can; checked when the setting is saved. None: any status is tried.
    order_status_problem: Callable[[str], str | None] | None = None
    # The shop's own script that starts the product import through the gateway's import URL
    # (/shops/{tenant}/get_specter_articles); the console then shows that URL with a token.
    import_script: str = ""


class InboundRequest(msgspec.Struct, kw_only=True, frozen=True):
    """An inbound shop request as plain data, so adapters stay free of the web framework."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    body: bytes  # the raw bytes, for signatures
    received_at: float = 0.0  # unix time


class ItemResult(msgspec.Struct, kw_only=True, frozen=True):
    """The outcome for one item of a batch call; ``error`` is None on success."""

    key: str  # article number, customer id, … as sent
    error: str | None = None
    transient: bool = False
    shop_id: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


class OrderStatusResult(msgspec.Struct, kw_only=True, frozen=True):
    """What ``set_order_status`` changed in a shop order, for the event log."""

    status: str = ""  # the status set now, in the platform's words; "" when the order had it already
    tracking_added: list[str] = []  # tracking numbers the shop shows now that it did not before
    # Why the status asked for was not set (the platform has no such status); "" when it was.
    not_set: str = ""


WebhookState = Literal["active", "paused", "disabled", "missing", "other"]


class WebhookCheck(msgspec.Struct, kw_only=True, frozen=True):
    """One topic's webhook as a check found it in the shop, and what the check did about it
    (answer of ``check_webhooks``)."""

    topic: str  # the gateway's name, e.g. "order.created"
    found: WebhookState  # as the shop showed it before any repair ("missing": there was none)
    webhook_id: str = ""  # the shop's id of the webhook, after any repair ("" when there is none)
    # What the check changed, in words for the operator ("created", "re-activated", "secret
    # updated", …); "" when it changed nothing.
    repaired: str = ""
    active: bool = True  # whether the shop delivers this topic to the gateway now


def expect_object(answer: Any, where: str) -> dict[str, Any]:
    """A shop's answer that must be one JSON object (an order, a product, …); anything else is a
    permanent error naming the call (``where``), not a failure somewhere later."""
    if not isinstance(answer, dict):
        raise PermanentError(f"{where}: answered {type(answer).__name__} where an object belongs")
    return answer


def expect_objects(answer: Any, where: str) -> list[dict[str, Any]]:
    """A shop's answer that must be a list of JSON objects (a page of a list)."""
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise PermanentError(f"{where}: answered {type(answer).__name__} where a list of objects belongs")
    return answer
