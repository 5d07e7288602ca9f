"""Inbound WooCommerce webhook deliveries: signature check and decoding into shop events.

A delivery is signed with ``X-WC-Webhook-Signature = base64(HMAC-SHA256(raw body, secret))``
over the exact bytes PHP's ``json_encode`` produced (``\\/``, ``\\u00e4``), so the check runs on
the raw body, never on re-encoded JSON. When a webhook is saved WooCommerce first sends an
unsigned ping (form body ``webhook_id=N``, no ``X-WC-*`` headers) that must be answered 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import msgspec

from gateway.adapter import InboundRequest
from gateway.errors import RejectedRequest
from gateway.model import ShopAction, ShopEvent, ShopObject

OBJECTS: dict[str, ShopObject] = {"order": "order", "product": "product", "customer": "customer"}
ACTIONS: dict[str, ShopAction] = {
    "created": "created", "updated": "updated", "deleted": "deleted", "restored": "updated",
}

# What the event log keeps of a body: enough to recognise the object, not the whole order.
SUMMARY_KEYS = ("id", "parent_id", "number", "status", "type", "sku", "name", "email", "stock_quantity",
                "date_modified_gmt", "total")


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_ping(request: InboundRequest) -> bool:
    return "x-wc-webhook-topic" not in request.headers and request.body.startswith(b"webhook_id=")


def verify(request: InboundRequest, secret: str) -> None:
    given = request.headers.get("x-wc-webhook-signature", "")
    if not given:
        raise RejectedRequest(401, "missing X-WC-Webhook-Signature header")
    if not secret:
        raise RejectedRequest(401, "no webhook secret is configured for this shop")
    if not hmac.compare_digest(given.encode(), sign(request.body, secret).encode()):
        raise RejectedRequest(401, "X-WC-Webhook-Signature does not match the body (wrong webhook secret?)")


def decode_request(request: InboundRequest, secret: str) -> list[ShopEvent]:
    """The events in one delivery; ``[]`` for a ping. Raises :class:`RejectedRequest`."""
    if is_ping(request):
        return []
    verify(request, secret)
    topic = request.headers.get("x-wc-webhook-topic", "")
    resource, _, action = topic.partition(".")
    if resource not in OBJECTS or action not in ACTIONS:
        raise RejectedRequest(400, f"unknown webhook topic {topic!r}")
    try:
        # Only the top level is parsed; the event log keeps a summary and jobs re-fetch the
        # object anyway, so the rest of a large order stays raw bytes.
        body = msgspec.json.decode(request.body, type=dict[str, msgspec.Raw])
        object_id = str(msgspec.json.decode(body["id"])) if "id" in body else ""
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise RejectedRequest(400, "webhook body is not JSON (an object was expected)") from None
    if not object_id.strip():
        raise RejectedRequest(400, "webhook body has no id")
    return [ShopEvent(
        object=OBJECTS[resource],
        action=ACTIONS[action],
        object_id=object_id,
        payload=summary(body, topic),
        # The delivery id is new for every delivery, so it cannot spot a repeat, and the
        # modification time has whole seconds (two changes in one second share it). The body
        # itself can: a repeated delivery of the same state is stored once.
        dedupe_key=f"{topic}:{object_id}:{hashlib.sha256(request.body).hexdigest()[:32]}",
    )]


def summary(body: dict[str, msgspec.Raw], topic: str) -> dict[str, Any]:
    kept = {k: _plain(body[k]) for k in SUMMARY_KEYS if k in body}
    if "line_items" in body:
        items = msgspec.json.decode(body["line_items"])
        if isinstance(items, list):
            kept["line_items"] = len(items)
    return {"topic": topic, **kept}


def _plain(raw: msgspec.Raw) -> Any:
    # Numbers with decimals keep their exact text (never a float); so do objects and lists.
    value = msgspec.json.decode(raw)
    return value if isinstance(value, str | int | bool | type(None)) else bytes(raw).decode()
