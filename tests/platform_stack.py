"""The gateway and the Specter simulator on loopback for any shop platform: the caller starts
its own shop (a fake, or real PHP) and names the tenant's platform and connection settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from gateway.config import GatewayConfig
from gateway.simulators.specter.app import RunningSimulator, start_simulator
from gateway.store.base import Event, EventFilter
from tests.conftest import ADMIN_TOKEN, RunningGateway, start_gateway

SBM_ID = 1001
SERVICE_ARTICLES = ["FRAKT", "RABATT", "PRESENTKORT", "AVGIFT", "POSTFORSKOTT", "PRESENTINSLAG"]
DONE = ("done", "dead", "skipped")


@dataclass
class PlatformStack:
    specter: RunningSimulator
    gateway: RunningGateway
    http: aiohttp.ClientSession
    tenant_id: str

    @property
    def gw(self):
        return self.gateway.gateway

    @property
    def sim(self):
        return self.specter.state.account(SBM_ID)

    @property
    def events_url(self) -> str:
        return f"{self.gateway.url}/shops/{self.tenant_id}/events"

    async def inbound_token(self) -> str:
        return (await self.gw.store.get_tenant(self.tenant_id)).inbound_token

    async def admin(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.http.request(method, self.gateway.url + "/admin/api" + path, json=json, headers=headers) as r:
            text = await r.text()
            return r.status, (await r.json(content_type=None)) if text else None

    async def events(self) -> list[Event]:
        return await self.gw.store.list_events(EventFilter(tenant_id=self.tenant_id, limit=1000))

    async def settle(self, timeout: float = 20.0) -> list[Event]:
        """Wait until no event of the tenant is pending, running or due to retry soon."""
        deadline = time.monotonic() + timeout
        while True:
            events = await self.events()
            soon = time.time() + 30
            if all(e.status in DONE or (e.status == "retry" and e.next_attempt_at > soon) for e in events):
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"events did not settle: {[(e.kind, e.status, e.last_error) for e in events]}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def platform_stack(tmp_path, platform: str, shop: dict[str, Any], tenant_id: str = "shop1",
                         connect: bool = True, **settings: Any) -> AsyncIterator[PlatformStack]:
    specter = await start_simulator([f"{SBM_ID}:api-user:user-key-1:integration-key-1"])
    config = GatewayConfig(data_dir=tmp_path / "gateway", admin_token=ADMIN_TOKEN,
                           secret_key=Fernet.generate_key().decode(), reconcile_seconds=0.5, retry_base_seconds=0.2)
    gateway, server_task = await start_gateway(config)
    http = aiohttp.ClientSession()
    stack = PlatformStack(specter, gateway, http, tenant_id)
    try:
        async with http.post(f"{specter.url}_control/{SBM_ID}/service-articles",
                             json=[{"articleNo": no, "name": no.title()} for no in SERVICE_ARTICLES]) as resp:
            assert resp.status < 400, await resp.text()
        status, body = await stack.admin("POST", "/accounts", {
            "id": "acct", "sbm_id": SBM_ID, "api_user_id": "api-user", "user_key": "user-key-1",
            "integration_key": "integration-key-1", "base_url": specter.url})
        assert status == 201, body
        status, body = await stack.admin("POST", "/tenants", {
            "id": tenant_id, "platform": platform, "account_id": "acct", "shop": shop, "settings": settings})
        assert status == 201, body
        if connect:
            status, body = await stack.admin("POST", f"/tenants/{tenant_id}/connect")
            assert status == 200, body
        yield stack
    finally:
        await http.close()
        gateway.server.should_exit = True
        await server_task
        await specter.stop()
