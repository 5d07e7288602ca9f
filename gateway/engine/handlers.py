"""The core sync engine's event handlers, registered as an ordinary plugin."""

from __future__ import annotations

from gateway.adapter import hookimpl

HANDLERS: dict = {}


@hookimpl
def register_event_handlers(register):
    for kind, handler in HANDLERS.items():
        register(kind, handler)
