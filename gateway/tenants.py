"""Adding, changing and showing tenants and Specter accounts: one place for the CLI and the API.

Input arrives as plain data (JSON from the admin API, options from the CLI); everything is
validated before anything is stored, and every error names the field. Secrets are shown masked,
and a masked value sent back (the form or JSON a user got from ``show``) keeps the stored secret.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

from gateway.errors import ConfigError
from gateway.model import InvalidInput, convert
from gateway.plugins import Adapters
from gateway.secrets import MASK, mask
from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import Store


class NotFound(ConfigError):
    pass


class Conflict(ConfigError):
    pass


def _token() -> str:
    return secrets.token_urlsafe(24)


class TenantService:
    def __init__(self, store: Store, adapters: Adapters):
        self.store = store
        self.adapters = adapters

    # -- Specter accounts ------------------------------------------------------------------

    async def add_account(self, data: dict[str, Any]) -> SpecterAccount:
        data = {k: v for k, v in data.items() if k != "callback_token"}
        account = convert(data, SpecterAccount)
        _check_account(account)
        if await self.store.get_account(account.id) is not None:
            raise Conflict(f"Specter account {account.id!r} already exists")
        account = msgspec.structs.replace(account, callback_token=_token())
        await self.store.put_account(account)
        return account

    async def update_account(self, account_id: str, patch: dict[str, Any]) -> SpecterAccount:
        current = await self.account(account_id)
        merged = msgspec.to_builtins(current)
        for key, value in patch.items():
            if key in ("id", "callback_token"):
                raise InvalidInput(f"{key} cannot be changed", f"$.{key}")
            if key in SpecterAccount.SECRET_FIELDS and value == MASK:
                continue  # the masked value shown to the user: keep the stored secret
            merged[key] = value
        account = convert(merged, SpecterAccount)
        _check_account(account)
        await self.store.put_account(account)
        return account

    async def account(self, account_id: str) -> SpecterAccount:
        account = await self.store.get_account(account_id)
        if account is None:
            raise NotFound(f"unknown Specter account {account_id!r}")
        return account

    async def remove_account(self, account_id: str) -> None:
        await self.account(account_id)
        await self.store.remove_account(account_id)

    @staticmethod
    def account_view(account: SpecterAccount) -> dict[str, Any]:
        view: dict[str, Any] = msgspec.to_builtins(account)
        for field in SpecterAccount.SECRET_FIELDS:
            view[field] = mask(view[field])
        view["callback_token"] = mask(view["callback_token"])
        return view

    # -- Tenants ---------------------------------------------------------------------------

    async def add_tenant(self, data: dict[str, Any]) -> Tenant:
        data = {k: v for k, v in data.items() if k != "inbound_token"}
        tenant = convert(data, Tenant)
        await self._check_tenant(tenant)
        if await self.store.get_tenant(tenant.id) is not None:
            raise Conflict(f"tenant {tenant.id!r} already exists")
        await self._check_order_prefix(tenant)
        tenant = msgspec.structs.replace(tenant, inbound_token=_token())
        await self.store.put_tenant(tenant)
        return tenant

    async def update_tenant(self, tenant_id: str, patch: dict[str, Any]) -> Tenant:
        """Apply a partial change: top-level fields replace, ``settings`` and ``shop`` merge
        key by key; a masked secret keeps the stored one."""
        current = await self.tenant(tenant_id)
        merged = msgspec.to_builtins(current)
        secret_fields = self.adapters.platform(current.platform).secret_fields
        for key, value in patch.items():
            if key in ("id", "inbound_token"):
                raise InvalidInput(f"{key} cannot be changed", f"$.{key}")
            if key in ("settings", "shop"):
                if not isinstance(value, dict):
                    raise InvalidInput(f"{key} must be an object", f"$.{key}")
                for sub, sub_value in value.items():
                    if key == "shop" and sub in secret_fields and sub_value == MASK:
                        continue
                    merged[key][sub] = sub_value
            else:
                merged[key] = value
        tenant = convert(merged, Tenant)
        await self._check_tenant(tenant)
        if (tenant.account_id, tenant.settings.external_order_prefix) != (
                current.account_id, current.settings.external_order_prefix):
            # Only a change can make a collision: tenants stored before this rule can still be
            # switched off or fixed one at a time.
            await self._check_order_prefix(tenant)
        await self.store.put_tenant(tenant)
        return tenant

    async def tenant(self, tenant_id: str) -> Tenant:
        tenant = await self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"unknown tenant {tenant_id!r}")
        return tenant

    async def remove_tenant(self, tenant_id: str) -> None:
        await self.tenant(tenant_id)
        await self.store.remove_tenant(tenant_id)

    def tenant_view(self, tenant: Tenant) -> dict[str, Any]:
        view: dict[str, Any] = msgspec.to_builtins(tenant)
        try:
            secret_fields = self.adapters.platform(tenant.platform).secret_fields
        except ConfigError:
            secret_fields = tuple(view["shop"])  # unknown platform now: hide everything
        for field in secret_fields:
            if field in view["shop"]:
                view["shop"][field] = mask(view["shop"][field])
        view["inbound_token"] = mask(view["inbound_token"])
        return view

    async def _check_tenant(self, tenant: Tenant) -> None:
        platform = self.adapters.platform(tenant.platform)  # unknown platform: ConfigError
        if platform.connection is not None:
            try:
                convert(tenant.shop, platform.connection)
            except InvalidInput as exc:
                field = "$.shop" + (exc.field or "$")[1:]
                message = str(exc).split(" - at `")[0]
                raise InvalidInput(f"shop settings for {platform.name}: {message} - at `{field}`", field) from None
        if platform.order_status_problem is not None:
            for change, status in tenant.settings.order_status_map.items():
                problem = platform.order_status_problem(status)
                if problem:
                    raise InvalidInput(f"order_status_map: {change}={status}: {problem}",
                                       f"$.settings.order_status_map.{change}")
        if await self.store.get_account(tenant.account_id) is None:
            raise InvalidInput(f"unknown Specter account {tenant.account_id!r}", "$.account_id")

    async def _check_order_prefix(self, tenant: Tenant) -> None:
        others = [t for t in await self.store.list_tenants(tenant.account_id) if t.id != tenant.id]
        problem = order_prefix_problem(tenant, others)
        if problem is not None:
            raise Conflict(problem)


def order_prefix_problem(tenant: Tenant, others: list[Tenant]) -> str | None:
    """Why ``tenant``'s order prefix could give an externalOrderNo another tenant on its Specter
    account also gives, or None. Specter keeps externalOrderNo unique per account, and it is the
    prefix followed by the shop's order number; when one prefix starts the other ("" starts
    every prefix), "S1" + "20" and "S" + "120" are the same number. ``others``: the other
    tenants on that account."""
    mine = tenant.settings.external_order_prefix
    for other in others:
        theirs = other.settings.external_order_prefix
        if _overlaps(mine, theirs):
            taken = [t.settings.external_order_prefix for t in others]
            suggestion = suggested_prefix(tenant.id, taken)
            fix = f"external_order_prefix={suggestion} for {tenant.id!r}"
            if not theirs:  # every prefix starts with "": the other tenant needs one too
                fix += f" and external_order_prefix={suggested_prefix(other.id, [*taken, suggestion])} for {other.id!r}"
            return (f"tenant {tenant.id!r} shares Specter account {tenant.account_id!r} with tenant {other.id!r}; "
                    f"their order prefixes {mine!r} and {theirs!r} could give the same externalOrderNo, which "
                    f"Specter keeps unique per account (one prefix must not start the other): set, for example, "
                    f"{fix}")
    return None


def suggested_prefix(tenant_id: str, taken: list[str]) -> str:
    """A prefix from the tenant's id that starts none of the ``taken`` prefixes and that none of
    them starts (an empty one aside: its tenant needs a prefix of its own)."""
    taken = [p for p in taken if p]
    compact = "".join(c for c in tenant_id.upper() if c.isalnum()) or "SHOP"
    # At most 10 characters, as the setting allows.
    candidates = [f"{tenant_id.upper()[:9]}-", f"{compact[:9]}-", *(f"{compact[:8]}{n}-" for n in range(10))]
    for candidate in candidates:
        if not any(_overlaps(candidate, p) for p in taken):
            return candidate
    return f"{secrets.token_hex(4).upper()}-"


def _overlaps(a: str, b: str) -> bool:
    """Whether one order prefix starts the other, so that both can give the same number."""
    return a.startswith(b) or b.startswith(a)


def _check_account(account: SpecterAccount) -> None:
    if not account.user_key or not account.integration_key:
        raise InvalidInput("user_key and integration_key are both required", "$.user_key")
    if account.api_version == 2 and not account.api_user_id:
        raise InvalidInput("API version 2 accounts need api_user_id", "$.api_user_id")
    if not account.base_url.startswith(("http://", "https://")):
        raise InvalidInput("base_url must be an http(s) URL", "$.base_url")
