"""Changing and showing who is told about a tenant (its :class:`AlertSettings`), for the admin
API and the console: validated before anything is stored, the webhook secret masked, and made
by the gateway when a webhook URL is set without one."""

from __future__ import annotations

import re
import secrets
from typing import Any

import msgspec

from gateway.model import InvalidInput, convert
from gateway.secrets import MASK, mask
from gateway.store.base import AlertSettings, Store

EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+$")
WEBHOOK_RE = re.compile(r"^https?://[^\s]+$")


class Saved(msgspec.Struct, kw_only=True, frozen=True):
    settings: AlertSettings
    made_secret: str | None = None  # the webhook secret the gateway made now, shown once


async def update_alert_settings(store: Store, tenant_id: str, patch: dict[str, Any]) -> Saved:
    """Apply a change (fields replace; a masked secret keeps the stored one)."""
    current = await store.get_alert_settings(tenant_id) or AlertSettings()
    merged = msgspec.to_builtins(current)
    for key, value in patch.items():
        if key in AlertSettings.SECRET_FIELDS and value == MASK:
            continue
        merged[key] = value
    if isinstance(merged.get("emails"), list):  # addresses as typed: no blanks, no repeats
        emails = [e.strip() if isinstance(e, str) else e for e in merged["emails"]]
        merged["emails"] = list(dict.fromkeys(e for e in emails if e != ""))
    _check_plainly(merged)
    settings = convert(merged, AlertSettings)
    made = None
    if settings.webhook_url and not settings.webhook_secret:
        made = secrets.token_urlsafe(32)
        settings = msgspec.structs.replace(settings, webhook_secret=made)
    if settings.webhook_secret and len(settings.webhook_secret) < 16:
        raise InvalidInput("webhook_secret must have at least 16 characters (leave it empty to have one made)",
                           "$.webhook_secret")
    await store.put_alert_settings(tenant_id, settings)
    return Saved(settings=settings, made_secret=made)


def _check_plainly(data: dict[str, Any]) -> None:
    """The mistakes people make, said in words before the schema's own (regex) messages."""
    emails = data.get("emails")
    if isinstance(emails, list):
        for n, address in enumerate(emails):
            if isinstance(address, str) and not EMAIL_RE.match(address):
                raise InvalidInput(f"{address!r} is not an e-mail address", f"$.emails[{n}]")
    url = data.get("webhook_url")
    if isinstance(url, str) and url and not WEBHOOK_RE.match(url):
        raise InvalidInput(f"the webhook URL must be an http:// or https:// URL without spaces, not {url[:80]!r}",
                           "$.webhook_url")


def alert_settings_view(settings: AlertSettings, made_secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = msgspec.to_builtins(settings)
    for field in AlertSettings.SECRET_FIELDS:
        view[field] = mask(view[field])
    if made_secret:
        view["webhook_secret"] = made_secret  # shown in this answer only
    return view
