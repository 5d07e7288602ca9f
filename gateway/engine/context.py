"""What a flow needs for one tenant: its settings, its shop adapter and its Specter client."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant
from gateway.store.base import IdMapping


@dataclass
class TenantContext:
    gw: Gateway
    tenant: Tenant
    account: SpecterAccount
    shop: Any
    specter: Any

    @classmethod
    async def load(cls, gw: Gateway, tenant_id: str) -> TenantContext:
        tenant = await gw.tenant(tenant_id)
        account = await gw.store.get_account(tenant.account_id)
        return cls(gw, tenant, account, await gw.shop(tenant), await gw.specter(account))

    @property
    def settings(self):
        return self.tenant.settings

    async def shop_call(self, hook: str, **kwargs: Any) -> Any:
        """Call a shop operation on this tenant's own adapter."""
        return await self.gw.adapters.call(self.tenant.platform, hook, shop=self.shop, **kwargs)

    def shop_call_iter(self, hook: str, **kwargs: Any) -> Any:
        """An ``iter_*`` shop operation: an async iterator of pages."""
        return self.gw.adapters.hook(self.tenant.platform, hook)(shop=self.shop, **kwargs)

    async def mapping(self, kind: str, shop_id: str) -> IdMapping | None:
        return await self.gw.store.mapping_by_shop_id(self.tenant.id, kind, shop_id)

    async def mapping_by_specter_id(self, kind: str, specter_id: str) -> IdMapping | None:
        return await self.gw.store.mapping_by_specter_id(self.tenant.id, kind, specter_id)

    async def remember(self, kind: str, shop_id: str, specter_id: str, fingerprint: str = "",
                       parent_shop_id: str = "") -> None:
        await self.gw.store.put_mapping(
            IdMapping(
                tenant_id=self.tenant.id, kind=kind, shop_id=shop_id, specter_id=specter_id,
                fingerprint=fingerprint, parent_shop_id=parent_shop_id, updated_at=time.time(),
            )
        )


def fingerprint(obj: Any) -> str:
    """A short hash of what was sent, to recognise an unchanged object (and the shop's echo of
    the gateway's own writes)."""
    return hashlib.sha256(msgspec.json.encode(obj)).hexdigest()[:32]
