"""The token of a tenant's product-import URL, which the shop's import script calls (the legacy
PHP shop's get_specter_articles.php; the connectors' "get_specter_articles" URL).

The console makes a token on request and shows it once, inside the whole URL to paste into the
shop's configuration; the store keeps only its SHA-256, as it keeps console sessions, so the
token can be checked but never shown again, and a copy of the database opens nothing. Making a
new one replaces the old at once. A tenant that never had one is opened by its inbound token,
as shops set up before these tokens were (contract v1 PHP shops) are configured.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from gateway.settings import Tenant
from gateway.store.base import Store


def import_url(public_url: str, tenant_id: str) -> str:
    """The import URL without its ``?token=``."""
    return f"{public_url.rstrip('/')}/shops/{tenant_id}/get_specter_articles"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_import_token(store: Store, tenant_id: str) -> str:
    """Make the tenant's import token, replacing any earlier one; the only time it is seen."""
    token = secrets.token_urlsafe(24)
    await store.put_import_token(tenant_id, _hash(token))
    return token


async def opens_import(store: Store, tenant: Tenant, given: str) -> bool:
    """Whether ``given`` is the tenant's import token (or, before it has one, its inbound token)."""
    if not given:
        return False
    kept = await store.get_import_token(tenant.id)
    if kept is not None:
        return hmac.compare_digest(_hash(given), kept.token_hash)
    return bool(tenant.inbound_token) and hmac.compare_digest(given.encode(), tenant.inbound_token.encode())
