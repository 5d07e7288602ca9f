"""Webhook deliveries in WooCommerce's "sync mode": sent before the REST answer returns, with the
captured headers and signature; a delivery that fails seven times in a row disables the webhook
(``WC_Webhook::failed_delivery``: more than ``woocommerce_max_webhook_delivery_failures``, 5,
failures before it), and a saved webhook is pinged (``webhook_id=N``) until a ping gets 200.

Every delivery and ping is logged (``FakeState.deliveries``, ``GET /_control/deliveries``): the
webhook, topic, resource id, URL, the answer's status (0 when nobody answered), the shop's time,
and the webhook's failure count and status after it.

The network between shop and receiver misbehaves on demand (``FakeState.faults``): a
``lost_delivery`` never reaches the receiver (the shop waits in vain: status 0, a failure as
WooCommerce counts one), a ``repeated_delivery`` reaches it twice (a queued delivery run again,
as WooCommerce's Action Scheduler does when a run overlaps another)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import aiohttp

from .state import Events, FakeState, Webhook
from .wire import php_json

# woocommerce_max_webhook_delivery_failures: a webhook with more failures than this in a row is
# disabled at the next one.
MAX_DELIVERY_FAILURES = 5
# What the captured shop sent as its User-Agent, with every delivery and ping.
USER_AGENT = "WooCommerce/9.2.5 Hookshot (WordPress/7.0)"
LOST, REPEATED = "lost_delivery", "repeated_delivery"
DELIVERY_FAULTS = (LOST, REPEATED)


class Webhooks:
    """Sends the fake's webhook deliveries and pings, and keeps each webhook's failure count."""

    def __init__(self, state: FakeState):
        self.state = state
        self.http: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession()
        return self.http

    def body_for(self, topic: str, resource_id: int) -> dict[str, Any]:
        resource, _, event = topic.partition(".")
        if event == "deleted":
            return {"id": resource_id}
        source = {"order": self.state.orders, "product": self.state.products, "customer": self.state.customers}
        return source[resource].get(resource_id, {"id": resource_id})

    async def fire(self, events: Events, bodies: dict[tuple[str, int], Any] | None = None) -> None:
        """Deliver each (topic, id) once per webhook, like ``WC_Webhook::$processed`` does
        within one request; the body is built when it is sent."""
        seen: set[tuple[int, str, int]] = set()
        for topic, resource_id in events:
            for hook in list(self.state.webhooks.values()):
                if hook.topic != topic or hook.status != "active" or (hook.id, topic, resource_id) in seen:
                    continue
                seen.add((hook.id, topic, resource_id))
                body = (bodies or {}).get((topic, resource_id)) or self.body_for(topic, resource_id)
                await self.deliver(hook, topic, body)
                if self._fault(REPEATED):
                    await self.deliver(hook, topic, body)

    def _fault(self, kind: str) -> bool:
        """Whether this delivery meets the network fault ``kind`` (and use one up)."""
        left = self.state.faults.get(kind, 0)
        if left > 0:
            self.state.faults[kind] = left - 1
        return left > 0

    async def deliver(self, hook: Webhook, topic: str, body: Any) -> int:
        raw = php_json(body).encode()
        signature = hmac.new(hook.secret.encode(), raw, hashlib.sha256).digest()
        resource, _, event = topic.partition(".")
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": self.state.site,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-WC-Webhook-ID": str(hook.id),
            "X-WC-Webhook-Delivery-ID": secrets.token_hex(16),
        }
        status = 0 if self._fault(LOST) else await self._post(hook.delivery_url, raw, headers)
        if 200 <= status < 300 or status in (301, 302):
            hook.failures = 0
            self.log(hook, topic, body.get("id"), status)
        else:
            # WC_Webhook::failed_delivery: disabled once failures > 5, and saving re-pings.
            if hook.failures > MAX_DELIVERY_FAILURES:
                hook.status = "disabled"
            else:
                hook.failures += 1
            self.log(hook, topic, body.get("id"), status)
            await self.save_webhook(hook)
        return status

    def log(self, hook: Webhook, topic: str, resource_id: Any, status: int) -> None:
        self.state.deliveries.append({
            "webhook_id": hook.id, "topic": topic, "id": resource_id, "delivery_url": hook.delivery_url,
            "status": status, "at": self.state.now(), "failure_count": hook.failures, "webhook_status": hook.status})

    async def save_webhook(self, hook: Webhook) -> None:
        hook.modified = self.state.now()
        if hook.pending_delivery:
            status = await self._post(hook.delivery_url, f"webhook_id={hook.id}".encode(),
                                      {"User-Agent": USER_AGENT,
                                       "Content-Type": "application/x-www-form-urlencoded"})
            self.log(hook, "ping", hook.id, status)
            hook.pending_delivery = status != 200

    async def _post(self, url: str, raw: bytes, headers: dict[str, str]) -> int:
        try:
            async with self.session().post(url, data=raw, headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
                return resp.status
        except (TimeoutError, aiohttp.ClientError):
            return 0

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
