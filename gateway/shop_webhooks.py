"""A tenant's webhooks in its shop, kept healthy: which topics it needs, where they call, and a
check at every poll (and at "connect") that repairs what a shop broke.

Shops let webhooks die quietly: WooCommerce disables one after a few failed deliveries (a
gateway down for ten seconds), and a webhook keeps the secret it was created with when the
tenant's secret changes. So each poll asks the platform to check them (``check_webhooks``), and
tells it when the tenant's shop settings changed since the last check, so that it writes them
again: shops never show a webhook's secret, so the gateway keeps an HMAC of the settings the
webhooks were last written with (keyed with the tenant's inbound token, so that the stored value
gives nothing away about a weak secret). What a check finds and repairs is kept
(:class:`gateway.store.base.WebhookHealth`) for the console and the admin API.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import TYPE_CHECKING, Any

import msgspec

from gateway.alerts.notify import tell_webhooks_disabled
from gateway.errors import PermanentError
from gateway.settings import Tenant, TenantSettings
from gateway.shop import Shop
from gateway.store.base import WebhookHealth, WebhookRepair

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.webhooks")


def shop_topics(settings: TenantSettings, available: tuple[str, ...]) -> list[str]:
    """The shop topics this tenant's settings need, of those its platform offers."""
    wanted = {"order.created", "order.updated", "customer.created", "customer.updated"}
    if settings.delete_order:
        wanted.add("order.deleted")
    if settings.export_product_on_change:
        wanted |= {"product.created", "product.updated"}
    if settings.stock_sync:  # a stock level waiting for its product goes once the shop has it
        wanted.add("product.created")
    if settings.delete_from_specter:
        wanted.add("product.deleted")
    return [topic for topic in available if topic in wanted]


def shop_events_url(gw: Gateway, tenant: Tenant) -> str:
    return f"{gw.config.public_url.rstrip('/')}/shops/{tenant.id}/events"


def shop_fingerprint(tenant: Tenant) -> str:
    """An HMAC of the tenant's shop settings: it changes when any of them (a secret) changes."""
    settings = msgspec.json.encode(tenant.shop, order="sorted")
    return hmac.new(tenant.inbound_token.encode(), settings, hashlib.sha256).hexdigest()


async def check_tenant_webhooks(gw: Gateway, tenant: Tenant, shop: Shop) -> WebhookHealth:
    """Check and repair the tenant's webhooks (a platform that :attr:`Shop.can_check_webhooks`)
    and keep what was found; a check that fails is kept as such, and raises.

    One check of a tenant at a time in a process (the poller and a "connect" from the console
    or the admin API wait for each other), so the second finds the first's repairs done instead
    of making them again. A "connect" from the command line is another process: both may then
    repair the same webhook, which the shop takes twice without harm (re-activating, writing the
    same secret), and the store keeps the repairs of both."""
    async with gw.lock(f"webhooks:{tenant.id}"):
        return await _check(gw, tenant, shop)


async def _check(gw: Gateway, tenant: Tenant, shop: Shop) -> WebhookHealth:
    url, topics = shop_events_url(gw, tenant), shop_topics(tenant.settings, shop.adapter.platform.topics)
    last = await gw.store.get_webhook_health(tenant.id)
    fingerprint = shop_fingerprint(tenant)
    now = time.time()
    try:
        # No record yet: "connect" has just registered them with these settings. A record
        # without a fingerprint (kept from before this check existed): written once, since an
        # older "connect" left a changed secret out.
        checks = await shop.check_webhooks(url, topics, previous_url=last.url if last else "",
                                           settings_changed=last is not None and last.shop_fingerprint != fingerprint)
    except Exception as exc:
        failed = last or WebhookHealth(tenant_id=tenant.id, checked_at=now)
        await gw.store.put_webhook_health(msgspec.structs.replace(
            failed, checked_at=now, repairs=[], error=str(exc) or type(exc).__name__))
        raise
    repairs = [WebhookRepair(at=now, topic=c.topic, webhook_id=c.webhook_id, found=c.found, repaired=c.repaired)
               for c in checks if c.repaired]
    for repair in repairs:
        log.warning("tenant %s: webhook %s for %s %s (it was %s)", tenant.id, repair.webhook_id, repair.topic,
                    repair.repaired, repair.found)
    health = WebhookHealth(tenant_id=tenant.id, checked_at=now, url=url, shop_fingerprint=fingerprint, webhooks=checks,
                           repairs=repairs)
    await gw.store.put_webhook_health(health)
    await tell_webhooks_disabled(gw, tenant, checks)
    return health


async def record_registration(gw: Gateway, tenant: Tenant) -> None:
    """For a platform that cannot check its webhooks: where "connect" registered them (so that
    removing the tenant knows what to remove), never checked (``checked_at`` 0)."""
    registered = WebhookHealth(tenant_id=tenant.id, checked_at=0.0, url=shop_events_url(gw, tenant))
    await gw.store.put_webhook_health(registered)


async def remove_tenant_webhooks(gw: Gateway, tenant: Tenant) -> list[str]:
    """Delete the webhooks the gateway registered for the tenant (it is being removed): those
    calling its events URL now or when last checked. Nothing when the tenant was never
    connected; a platform that cannot delete webhooks raises, saying so."""
    health = await gw.store.get_webhook_health(tenant.id)
    if health is None:
        return []
    shop = await gw.shop(tenant)
    urls = sorted({shop_events_url(gw, tenant), health.url} - {""})
    if not shop.can_remove_webhooks:
        raise PermanentError(f"the {shop.platform} platform cannot delete them")
    return await shop.remove_webhooks(urls)


def health_view(tenant_id: str, health: WebhookHealth | None) -> dict[str, Any]:
    """The last check as the console and the admin API show it (never the fingerprint).
    ``healthy``: checked, and every webhook active; ``checked_at`` None: never checked."""
    if health is None:
        health = WebhookHealth(tenant_id=tenant_id, checked_at=0.0)
    view: dict[str, Any] = msgspec.to_builtins(health)
    del view["shop_fingerprint"]
    view["checked_at"] = health.checked_at or None
    view["healthy"] = bool(health.checked_at) and health.error is None and all(w.active for w in health.webhooks)
    return view
