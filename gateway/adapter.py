"""What an adapter needs besides the hookspecs: its marker and the small types hooks exchange."""

from __future__ import annotations

import argparse
from typing import Any, Protocol

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


class Platform(msgspec.Struct, kw_only=True, frozen=True):
    """What an adapter tells the gateway about its platform (answer of ``shop_platform``)."""

    name: str  # the value of a tenant's ``platform``
    title: str = ""
    # Validates a tenant's ``shop`` connection settings; unknown keys are refused.
    connection: type[msgspec.Struct] | None = None
    secret_fields: tuple[str, ...] = ()  # stored encrypted, shown masked
    topics: tuple[str, ...] = ()  # what register_webhooks can subscribe to
    simulator: Simulator | None = None  # its fake shop, if it has one
    # Whether a product can be created unpublished (hidden from visitors until someone publishes it).
    unpublished_products: bool = False
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
