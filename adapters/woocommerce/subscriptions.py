"""The shop's webhooks to the gateway, kept in order: created where one is missing,
re-activated after WooCommerce disabled them, moved when the gateway's URL changes, given the
tenant's current secret, and deleted when the tenant is removed.

WooCommerce disables a webhook after more than five failed deliveries in a row (a gateway down
for a few seconds is enough) and never re-enables it by itself. It never shows a webhook's secret
(nor its failure count), so the secret cannot be compared: it is written when a webhook is
created, when one is re-activated or moved (one that failed may well hold an old secret), and
when the gateway says the tenant's shop settings changed. Re-activating keeps WooCommerce's
failure count (the next failure disables it again); a successful delivery resets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.adapter import WebhookCheck, WebhookState

if TYPE_CHECKING:  # pragma: no cover
    from adapters.woocommerce.plugin import WooShop

STATES: dict[str, WebhookState] = {"active": "active", "paused": "paused", "disabled": "disabled"}


def state_of(hook: dict[str, Any]) -> WebhookState:
    return STATES.get(str(hook.get("status")), "other")


async def check(shop: WooShop, url: str, topics: list[str], previous_url: str,
                settings_changed: bool) -> list[WebhookCheck]:
    """One check per topic, from one listing of the shop's webhooks."""
    hooks = await shop.client.list_webhooks()
    moved_from = previous_url if previous_url != url else ""
    checks = []
    for topic in topics:
        ours = [h for h in hooks if h.get("topic") == topic and h.get("delivery_url") == url]
        stale = [h for h in hooks if moved_from and h.get("topic") == topic and h.get("delivery_url") == moved_from]
        checks.append(await _check_topic(shop, url, topic, ours, stale, settings_changed))
    return checks


async def _check_topic(shop: WooShop, url: str, topic: str, ours: list[dict[str, Any]],
                       stale: list[dict[str, Any]], settings_changed: bool) -> WebhookCheck:
    if not ours and not stale:
        created = await shop.client.create_webhook(topic, url, shop.webhook_secret)
        return WebhookCheck(topic=topic, found="missing", webhook_id=str(created["id"]), repaired="created",
                            active=state_of(created) == "active")
    # One calling the gateway now is kept; else the one calling its old URL moves. Any other
    # calling the old URL would deliver everything twice: it goes.
    hook, extra = (ours[0], stale) if ours else (stale[0], stale[1:])
    found = state_of(hook)
    fields: dict[str, Any] = {}
    repairs: list[str] = []
    if hook.get("delivery_url") != url:
        fields["delivery_url"] = url
        repairs.append("moved to the gateway's new URL")
    if found != "active":
        fields["status"] = "active"
        repairs.append("re-activated")
    if settings_changed:
        repairs.append("secret updated")
    if repairs:
        fields["secret"] = shop.webhook_secret
        hook = await shop.client.update_webhook(hook["id"], fields)
    for old in extra:
        await shop.client.delete_webhook(old["id"])
        repairs.append(f"deleted webhook {old['id']} calling the old URL")
    return WebhookCheck(topic=topic, found=found, webhook_id=str(hook["id"]), repaired=", ".join(repairs),
                        active=state_of(hook) == "active")


def describe(done: WebhookCheck) -> str:
    """One line for the operator."""
    what = done.repaired or ("already active" if done.active else f"{done.found}, left so")
    return f"{done.topic}: webhook {done.webhook_id} {what}"


async def remove(shop: WooShop, urls: list[str]) -> list[str]:
    """Delete every webhook calling one of ``urls``; the shop's other webhooks stay."""
    removed = []
    for hook in await shop.client.list_webhooks():
        if hook.get("delivery_url") in urls:
            await shop.client.delete_webhook(hook["id"])
            removed.append(f"{hook.get('topic')}: deleted webhook {hook['id']}")
    return removed
