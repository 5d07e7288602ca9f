"""Accounts and tenants as the stores keep them: their plain parts as JSON, their secrets sealed.

Secrets (an account's keys and callback token, a tenant's shop connection and inbound token,
the alert webhook's secret)
are stored as one Fernet token per row, whichever database holds them; a callback token is
found through its SHA-256. Every store uses this one module, so the rules for what is secret
and how it is sealed live in one place.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, NamedTuple

import msgspec

from gateway.secrets import Cipher
from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import AlertSettings

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.decode

# Encrypted into the meta table at the first start: a changed secret key is told at start-up
# (a clear ConfigError), not at the first decryption.
CIPHER_CHECK = b"specter-gateway"


class AccountRow(NamedTuple):
    id: str
    data: str  # the account as JSON, without its secrets
    secrets: str  # Fernet token: keys and callback token
    callback_token_hash: str  # '' when it has none


class TenantRow(NamedTuple):
    id: str
    account_id: str
    data: str  # name, platform, enabled as JSON
    settings: str  # TenantSettings as JSON
    secrets: str  # Fernet token: the shop connection and the inbound token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


class Sealer:
    """Turns accounts and tenants into rows with their secrets encrypted, and back."""

    def __init__(self, cipher: Cipher):
        self._cipher = cipher

    def seal(self, value: Any) -> str:
        return self._cipher.encrypt(_encode(value))

    def unseal(self, token: str) -> Any:
        return _decode(self._cipher.decrypt(token))

    def check_value(self) -> str:
        """What to keep as the cipher check at the first start."""
        return self._cipher.encrypt(CIPHER_CHECK)

    def verify(self, kept: str) -> None:
        """Raise ConfigError when ``kept`` was sealed with another key (the key has changed)."""
        self._cipher.decrypt(kept)

    def account_row(self, account: SpecterAccount) -> AccountRow:
        data = msgspec.to_builtins(account)
        secrets = {name: data.pop(name) for name in (*SpecterAccount.SECRET_FIELDS, "callback_token")}
        return AccountRow(account.id, _encode(data).decode(), self.seal(secrets), token_hash(account.callback_token))

    def account(self, data: str, secrets: str) -> SpecterAccount:
        values = _decode(data)
        values.update(self.unseal(secrets))
        return msgspec.convert(values, SpecterAccount)

    def account_with_token(self, data: str, secrets: str, token: str) -> SpecterAccount | None:
        """The account, when its callback token is ``token`` (compared in constant time; the
        hash only found the candidate)."""
        account = self.account(data, secrets)
        return account if hmac.compare_digest(account.callback_token, token) else None

    def tenant_row(self, tenant: Tenant) -> TenantRow:
        data = msgspec.to_builtins(tenant)
        for column in ("id", "account_id"):
            data.pop(column)
        settings = data.pop("settings")
        secrets = {"shop": data.pop("shop"), "inbound_token": data.pop("inbound_token")}
        return TenantRow(tenant.id, tenant.account_id, _encode(data).decode(), _encode(settings).decode(),
                         self.seal(secrets))

    def tenant(self, row: TenantRow) -> Tenant:
        data = _decode(row.data)
        data.update(self.unseal(row.secrets))
        data.update(id=row.id, account_id=row.account_id, settings=_decode(row.settings))
        return msgspec.convert(data, Tenant)

    def alert_settings_row(self, settings: AlertSettings) -> tuple[str, str]:
        """(data, secrets) to keep: the webhook secret encrypted, the rest as JSON."""
        data = msgspec.to_builtins(settings)
        secrets = {name: data.pop(name) for name in AlertSettings.SECRET_FIELDS}
        return _encode(data).decode(), self.seal(secrets)

    def alert_settings(self, data: str, secrets: str) -> AlertSettings:
        return msgspec.convert({**_decode(data), **self.unseal(secrets)}, AlertSettings)
