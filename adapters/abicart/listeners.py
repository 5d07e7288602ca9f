"""Abicart's EventListeners: registering them, keeping them alive, and reading their calls.

What is documented (developer.abicart.se, EventListener): a listener is a URL Abicart calls when
a named event happens; it belongs to one AuthToken; a token has at most one listener per event
name (so a new URL is ``set`` on the existing one); a listener has ``status {active,
inactiveSince}`` and can go inactive. ``Order/discarded`` is the only event name documented;
the others below are inferred from the ``Class/event`` form, and a shop that refuses one is
covered by polling. Neither the callback's body nor any signature is documented.

So listeners are hints only:

- the URL carries the tenant's unguessable inbound token (the proof) and the event name;
- any body is accepted, and a uid is looked for in it wherever it may be; without one the
  call adds nothing the next poll would not find;
- the gateway polls orders, articles and customers by ``changed`` anyway, and each poll
  re-creates listeners that went inactive.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any
from urllib.parse import parse_qs, urlencode

from adapters.abicart.client import AbicartClient
from adapters.abicart.decode import loads
from adapters.abicart.errors import INVALID_PARAMS, AbicartError
from gateway.adapter import InboundRequest
from gateway.errors import RejectedRequest
from gateway.model import InvalidInput, ShopAction, ShopEvent, ShopObject

log = logging.getLogger("adapters.abicart")

# Gateway topic -> Abicart event name (only Order/discarded is documented).
EVENT_NAMES = {
    "order.created": "Order/created",
    "order.updated": "Order/changed",
    "order.deleted": "Order/discarded",
    "product.created": "Article/created",
    "product.updated": "Article/changed",
    "product.deleted": "Article/deleted",
    "customer.created": "Customer/created",
    "customer.updated": "Customer/changed",
}
DOCUMENTED_EVENTS = frozenset({"Order/discarded"})
OBJECTS: dict[str, ShopObject] = {"Order": "order", "Article": "product", "Customer": "customer"}
ACTIONS: dict[str, ShopAction] = {"created": "created", "changed": "updated", "updated": "updated",
                                  "discarded": "deleted", "deleted": "deleted", "removed": "deleted"}
UID_KEYS = ("uid", "objectUid", "object_uid", "id")
NESTED_KEYS = ("data", "object", "params", "payload", "result", "body")


# --- Registration -------------------------------------------------------------------------------


def listener_url(events_url: str, token: str, event_name: str) -> str:
    return f"{events_url}?{urlencode({'token': token, 'event': event_name})}"


def _active(listener: dict[str, Any]) -> bool:
    status = listener.get("status")
    return not isinstance(status, dict) or status.get("active") is not False


def _ours(listeners: list[dict[str, Any]], token: str) -> dict[str, dict[str, Any]]:
    """The listeners of the tenant's token, by event name (a token has one per name). A
    listener whose answer leaves out its token is taken as the token's own: only the token's
    owner can see it."""
    found = {}
    for listener in listeners:
        owner = listener.get("authToken")
        if owner in (None, "", token):
            found[str(listener.get("eventName"))] = listener
    return found


async def _replace(client: AbicartClient, listener: dict[str, Any], url: str) -> dict[str, Any]:
    """An inactive listener deleted and made again (whether ``set`` can re-activate one is not
    documented; delete and create are)."""
    await client.delete_listener(int(listener["uid"]))
    return await client.create_listener(str(listener["eventName"]), url)


async def register(client: AbicartClient, events_url: str, inbound_token: str, topics: list[str]) -> list[str]:
    """One listener per event name the topics need: created, moved to a new URL (``set``, never
    a second one), re-created when inactive, or kept; a name the shop does not offer is noted
    (polling covers it)."""
    existing = _ours(await client.listeners(), client.auth_token)
    done = []
    for topic in topics:
        name = EVENT_NAMES[topic]
        url = listener_url(events_url, inbound_token, name)
        found = existing.get(name)
        try:
            if found is None:
                made = await client.create_listener(name, url)
                done.append(f"{name}: created listener {made.get('uid')}")
            elif not _active(found):
                made = await _replace(client, found, url)
                done.append(f"{name}: listener {found['uid']} was inactive; made again as {made.get('uid')}")
            elif found.get("url") != url:
                await client.set_listener(int(found["uid"]), {"url": url})
                done.append(f"{name}: listener {found['uid']} now calls this gateway's URL")
            else:
                done.append(f"{name}: listener {found['uid']} already there")
        except AbicartError as exc:
            if exc.code != INVALID_PARAMS or name in DOCUMENTED_EVENTS:
                raise
            done.append(f"{name}: not offered by this shop ({exc}); its changes are found by polling")
    return done


async def revive(client: AbicartClient) -> list[str]:
    """Re-create the token's listeners that went inactive, at their own URL; answer what was
    done (for the log)."""
    done = []
    for name, listener in _ours(await client.listeners(), client.auth_token).items():
        if not _active(listener) and listener.get("url"):
            made = await _replace(client, listener, str(listener["url"]))
            done.append(f"{name}: listener {listener['uid']} was inactive; made again as {made.get('uid')}")
    for line in done:
        log.info("webshop %s: %s", client.webshop, line)
    return done


# --- Calls from Abicart -------------------------------------------------------------------------


def _body(raw: bytes) -> Any:
    """The body as JSON, else as a form, else nothing."""
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except InvalidInput:
        pass
    try:
        form = parse_qs(raw.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in form.items()}


def _uid(value: Any, depth: int = 0) -> str:
    """A uid wherever a body may carry it: ``uid`` (or ``id``, ...) at the top or in a nested
    object, or the first number of a JSON-RPC-like ``params`` list."""
    if depth > 3:
        return ""
    if isinstance(value, dict):
        for key in UID_KEYS:
            found = value.get(key)
            if isinstance(found, int | str) and not isinstance(found, bool) and str(found).strip().isdigit():
                return str(found).strip()
        for key in NESTED_KEYS:
            if key in value and (found_uid := _uid(value[key], depth + 1)):
                return found_uid
    if isinstance(value, list):
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                return str(item)
            if found_uid := _uid(item, depth + 1):
                return found_uid
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return ""


def _name(query: dict[str, str], body: Any) -> str:
    """The event name: from the listener's URL (the gateway put it there), else the body."""
    if query.get("event"):
        return query["event"]
    if isinstance(body, dict):
        for key in ("eventName", "event", "method", "name"):
            if isinstance(body.get(key), str) and "/" in body[key]:
                return str(body[key])
    return ""


def decode_request(request: InboundRequest, inbound_token: str) -> list[ShopEvent]:
    """A listener's call as at most one hint; [] when it names nothing the gateway can fetch."""
    token = request.query.get("token", "")
    if not inbound_token or not hmac.compare_digest(token.encode(), inbound_token.encode()):
        raise RejectedRequest(401, "missing or wrong token in the event listener URL")
    body = _body(request.body)
    name = _name(request.query, body)
    cls, _, event = name.partition("/")
    uid = _uid(body)
    obj = OBJECTS.get(cls)
    if obj is None or not uid:
        return []  # nothing to fetch: the next poll finds what changed
    action = ACTIONS.get(event.lower(), "updated")
    return [ShopEvent(
        object=obj, action=action, object_id=uid, payload={"event": name, "uid": uid},
        # A creation happens once: a repeated delivery of it is stored once. Changes carry no
        # version, so each delivery is its own event (the engine re-fetches and compares).
        dedupe_key=f"{name}:{uid}" if action == "created" else None,
    )]
