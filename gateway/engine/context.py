"""What a flow needs for one tenant: its settings, its shop and its Specter client."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from gateway.errors import ConfigError
from gateway.services import Gateway
from gateway.settings import SpecterAccount, Tenant, TenantSettings
from gateway.shop import Shop
from gateway.specter.client import SpecterClient
from gateway.store.base import IdMapping


@dataclass
class TenantContext:
    gw: Gateway
    tenant: Tenant
    account: SpecterAccount
    shop: Shop
    specter: SpecterClient

    @classmethod
    async def load(cls, gw: Gateway, tenant_id: str) -> TenantContext:
        tenant = await gw.tenant(tenant_id)
        account = await gw.store.get_account(tenant.account_id)
        if account is None:
            raise ConfigError(f"tenant {tenant.id!r} names the unknown Specter account {tenant.account_id!r}")
        return cls(gw, tenant, account, await gw.shop(tenant), await gw.specter(account))

    @property
    def settings(self) -> TenantSettings:
        return self.tenant.settings

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
