"""Which handler runs each event kind, and the typed event its stored payload becomes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from gateway.errors import ConfigError
from gateway.events import E, GatewayEvent

if TYPE_CHECKING:  # pragma: no cover
    from gateway.jobs.execute import Outcome
    from gateway.services import Gateway

Handler = Callable[["Gateway", E], Awaitable["Outcome | None"]]


class Register(Protocol):
    """What ``register_event_handlers`` is given: ``register(ShopOrder, handle_order_event)``."""

    def __call__(self, event_type: type[E], handler: Handler[E]) -> None: ...


class Route(NamedTuple):
    event_type: type[GatewayEvent]
    handler: Handler[Any]


class HandlerRegistry:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def register(self, event_type: type[E], handler: Handler[E]) -> None:
        if not (isinstance(event_type, type) and issubclass(event_type, GatewayEvent) and hasattr(event_type, "kind")):
            raise ConfigError(f"event handlers are registered for an event class of gateway.events, not {event_type!r}")
        if event_type.kind in self._routes:
            raise ConfigError(f"two plugins handle the event kind {event_type.kind!r}")
        self._routes[event_type.kind] = Route(event_type, handler)

    def route(self, kind: str) -> Route | None:
        return self._routes.get(kind)
