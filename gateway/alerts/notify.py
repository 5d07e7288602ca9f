"""Telling people: alerts kept per tenant and cause, sent as digests.

:func:`notify` keeps an alert and tries to send it at once. Each tenant gets at most one
message per cause in ``alert_quiet_seconds`` (an hour): an alert that comes while its cause is
quiet waits, and the next message tells every alert that waited (a digest, not a flood).
:func:`alerts_forever`, run by the web process, sends what waited once its cause may speak
again, tries a failed message again, and makes and e-mails the daily reports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.adapter import WebhookCheck
from gateway.alerts import causes
from gateway.alerts.channels import NotSent, post_webhook, send_email
from gateway.settings import Tenant
from gateway.store.base import Alert, AlertMessage, AlertSettings, Event

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.alerts")

LEASE_SECONDS = 120.0  # a sender that has not finished a message in this long is taken to have died
MESSAGE_ALERTS = 50  # alerts listed in one message; more are counted
DETAIL_LENGTH = 2000


@dataclass(frozen=True)
class Delivery:
    """How a message went, per channel: None when it was delivered, else why not."""

    channels: dict[str, str | None]

    @property
    def sent(self) -> bool:
        """Delivered by a channel, or nobody is set to be told (nothing to try again)."""
        return not self.channels or any(error is None for error in self.channels.values())

    @property
    def error(self) -> str | None:
        failed = [f"{channel}: {error}" for channel, error in self.channels.items() if error is not None]
        return "; ".join(failed) or None

    @property
    def names(self) -> str:
        return ", ".join(self.channels)


async def notify(gw: Gateway, tenant_id: str, cause: str, detail: str) -> None:
    """Tell the tenant's people about ``cause`` (see :data:`gateway.alerts.causes.CAUSES`;
    another short lower-case name is told under its own title), with ``detail`` saying what
    happened in plain words. For anything in the gateway that finds what needs a person (the
    reconciler, a plugin).

    The alert is stored before this returns, so it is told even if the process stops now; the
    message is sent in the background, or later as part of a digest when the tenant was told
    about the same cause within the quiet period. Raises ConfigError for an unknown tenant and
    InvalidInput for a cause that is not a short lower-case name."""
    causes.check_cause(cause)
    await gw.store.record_alert(tenant_id, cause, detail.strip()[:DETAIL_LENGTH] or causes.title(cause))
    log.warning("alert for tenant %s (%s): %s", tenant_id, cause, detail[:200])
    gw.spawn(_deliver_quietly(gw, tenant_id, cause), f"alert:{tenant_id}:{cause}")


async def tell_dead_event(gw: Gateway, event: Event, exc: BaseException | str, error: str) -> None:
    """An event failed for good with ``error`` (from ``exc``, which picks the cause): tell its
    tenant, or every tenant of its Specter account for an account's event (a pull from
    Specter). Never raises: the event's own record is what matters to the job that calls this."""
    cause = causes.cause_of(exc) if isinstance(exc, BaseException) else causes.EVENT_DEAD
    detail = f"{event.kind} {event.subject.replace(':', ' ')} (event {event.id}) failed for good: {error}"
    try:
        if event.tenant_id is not None:
            tenant_ids = [event.tenant_id]
        else:
            tenant_ids = [t.id for t in await gw.store.list_tenants(event.account_id)] if event.account_id else []
        for tenant_id in tenant_ids:
            await notify(gw, tenant_id, cause, detail)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("could not record the alert for event %s", event.id)


async def tell_refused(gw: Gateway, tenant: Tenant, exc: BaseException, where: str) -> bool:
    """When ``exc`` is the shop refusing the tenant's credentials or Specter refusing the keys,
    tell the tenant's people (``where`` says what was being done); answers whether it told.
    Never raises: the caller is already handling ``exc``."""
    cause = causes.cause_of(exc)
    if cause == causes.EVENT_DEAD:
        return False
    try:
        await notify(gw, tenant.id, cause, f"{where}: {exc}")
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("could not record the alert for tenant %s", tenant.id)
        return False
    return True


async def tell_webhooks_disabled(gw: Gateway, tenant: Tenant, checks: list[WebhookCheck]) -> None:
    """The shop had disabled or paused webhooks (a check found them so and re-activated them, or
    could not): tell the tenant's people, since what they would have brought came late or only
    by the poll. Never raises."""
    for check in checks:
        if check.found not in ("disabled", "paused") and check.active:
            continue
        now = "re-activated it" if check.active else "could not make it deliver again"
        detail = (f"the shop's {check.topic} webhook {check.webhook_id} was {check.found}; the gateway {now}. "
                  "Until then the shop's changes reached the gateway only by its poll.")
        try:
            await notify(gw, tenant.id, causes.WEBHOOK_DISABLED, detail)
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("could not record the alert for tenant %s", tenant.id)


async def _deliver_quietly(gw: Gateway, tenant_id: str, cause: str) -> None:
    try:
        await deliver(gw, tenant_id, cause)
    except Exception:  # noqa: BLE001 - the alert stays waiting; the next round tries again
        log.exception("sending tenant %s's %s alert failed", tenant_id, cause)


async def deliver(gw: Gateway, tenant_id: str, cause: str) -> AlertMessage | None:
    """Send the alerts of the tenant and cause that wait, as one message, unless the cause is
    quiet now; answer the message, or None when nothing was sent.

    Which sender sends is settled by the store: :meth:`Store.claim_alerts` takes the waiting
    alerts into a message in one transaction, so two senders at once (the background task of
    :func:`notify` and the loop, or two gateway nodes) never tell the same alert twice."""
    claimed = await gw.store.claim_alerts(tenant_id, cause, quiet_seconds=gw.config.alert_quiet_seconds,
                                          retry_seconds=gw.config.alert_retry_seconds, lease_seconds=LEASE_SECONDS,
                                          limit=MESSAGE_ALERTS)
    if claimed is None:
        return None
    message, alerts = claimed
    try:
        tenant = await gw.store.get_tenant(tenant_id)
        settings = await gw.store.get_alert_settings(tenant_id) or AlertSettings()
        if tenant is None:  # removed meanwhile (its alerts go with it)
            return None
        delivery = await send(gw, tenant, settings, message, alerts)
    except BaseException as exc:
        await asyncio.shield(gw.store.finish_alert_message(
            message.id, sent=False, channels="", error=f"{type(exc).__name__}: {exc}"))
        raise
    await gw.store.finish_alert_message(message.id, sent=delivery.sent, channels=delivery.names, error=delivery.error)
    if not delivery.sent:
        log.warning("tenant %s's %s alert was not sent: %s", tenant_id, cause, delivery.error)
    return message


async def send(gw: Gateway, tenant: Tenant, settings: AlertSettings, message: AlertMessage,
               alerts: list[Alert]) -> Delivery:
    """Send one message by every channel the tenant set (e-mail, webhook)."""
    subject, text = compose(gw, tenant, message, alerts)
    channels: dict[str, str | None] = {}
    if settings.emails:
        channels["e-mail"] = await _attempt(send_email(gw.config, settings.emails, subject, text))
    if settings.webhook_url:
        assert gw.http is not None, "the gateway's HTTP session opens in Gateway.create"
        body = {
            "type": "alert", "tenant_id": tenant.id, "tenant_name": tenant.name or tenant.id, "cause": message.cause,
            "title": causes.title(message.cause), "count": message.alerts, "console_url": console_url(gw, tenant),
            "alerts": [{"at": _iso(a.created_at), "detail": a.detail} for a in alerts],
            "text": f"*{subject}*\n{text}",
        }
        channels["webhook"] = await _attempt(post_webhook(gw.http, settings.webhook_url, settings.webhook_secret,
                                                          body))
    return Delivery(channels)


async def _attempt(sending: Awaitable[None]) -> str | None:
    try:
        await sending
    except NotSent as exc:
        return str(exc)
    return None


async def send_test(gw: Gateway, tenant: Tenant) -> Delivery:
    """A test message by every channel the tenant set, now: not kept, and not held back by the
    quiet period."""
    settings = await gw.store.get_alert_settings(tenant.id) or AlertSettings()
    now = time.time()
    alert = Alert(id=0, tenant_id=tenant.id, cause=causes.TEST, created_at=now,
                  detail="This is a test: alerts about this shop reach you here.")
    message = AlertMessage(id=0, tenant_id=tenant.id, cause=causes.TEST, alerts=1, claimed_at=now)
    return await send(gw, tenant, settings, message, [alert])


def console_url(gw: Gateway, tenant: Tenant) -> str:
    return f"{gw.config.public_url.rstrip('/')}/admin/tenants/{tenant.id}"


def compose(gw: Gateway, tenant: Tenant, message: AlertMessage, alerts: list[Alert]) -> tuple[str, str]:
    """The message's subject and plain text."""
    name = tenant.name or tenant.id
    count = f" ({message.alerts})" if message.alerts > 1 else ""
    subject = f"[Specter Gateway] {name}: {causes.title(message.cause)}{count}"
    quiet = _duration(gw.config.alert_quiet_seconds)
    lines = [f"{causes.title(message.cause)} — shop {name} ({tenant.id}).", ""]
    lines += [f"- {_local(a.created_at)}: {a.detail}" for a in alerts]
    if message.alerts > len(alerts):
        lines.append(f"- … and {message.alerts - len(alerts)} more")
    lines += ["", f"See the shop in the console: {console_url(gw, tenant)}",
              f"(At most one message about this per {quiet}: what comes meanwhile waits for the next one.)"]
    return subject, "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, round(seconds / 60))
    return "minute" if minutes == 1 else f"{minutes} minutes"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _local(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
