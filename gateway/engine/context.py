"""What a flow needs for one tenant: its settings, its shop and its Specter client."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant, TenantSettings
from gateway.shop import Shop
from gateway.specter.client import SpecterClient
from gateway.store.base import Binding, BindingKind

if TYPE_CHECKING:  # pragma: no cover
    from gateway.rules.run import Compiled


@dataclass
class TenantContext:
    gw: Gateway
    tenant: Tenant
    account: SpecterAccount
    shop: Shop
    specter: SpecterClient
    rules: Compiled | None = None  # the tenant's rules, read when first needed (gateway/rules/apply.py)

    @classmethod
    async def load(cls, gw: Gateway, tenant_id: str) -> TenantContext:
        tenant = await gw.tenant(tenant_id)
        account = await gw.account_of(tenant)
        return cls(gw, tenant, account, await gw.shop(tenant), await gw.specter(account))

    @property
    def settings(self) -> TenantSettings:
        return self.tenant.settings

    async def binding(self, kind: BindingKind, shop_id: str) -> Binding | None:
        return await self.gw.store.get_binding(self.tenant.id, kind, shop_id)

    async def binding_by_no(self, kind: BindingKind, specter_no: str) -> Binding | None:
        return await self.gw.store.binding_by_specter_no(self.tenant.id, kind, specter_no)

    def new_binding(self, kind: BindingKind, shop_id: str, **fields: Any) -> Binding:
        return Binding(tenant_id=self.tenant.id, account_id=self.tenant.account_id, kind=kind, shop_id=shop_id,
                       **fields)

    async def bind(self, kind: BindingKind, shop_id: str, **fields: Any) -> None:
        """Bind a shop object to its Specter counterpart, or change these fields of its binding
        (leaving the others, e.g. the other direction's fingerprint, as they are)."""
        await self.gw.store.put_bindings([self.new_binding(kind, shop_id, **fields)], columns=frozenset(fields))

    async def mark(self, kind: BindingKind, shop_id: str, **columns: Any) -> bool:
        """Change some columns of an existing binding; answer whether there was one."""
        return await self.gw.store.update_binding(self.tenant.id, kind, shop_id, **columns)


def fingerprint(obj: Any) -> str:
    """A short hash of what was sent, to recognise an unchanged object (and the shop's echo of
    the gateway's own writes)."""
    return hashlib.sha256(msgspec.json.encode(obj)).hexdigest()[:32]
