"""Pull from Specter now and then without being called: Specter never repeats a callback that
failed (the gateway was down, a firewall said no), but its flags stay set until acknowledged,
so a pull at start-up and every few minutes brings whatever a lost callback announced."""

from __future__ import annotations

import asyncio
import logging

from gateway.engine.specter_pull import pull_event

log = logging.getLogger("gateway.poller")
FLOWS = ("stock", "article", "order")


async def poll_once(gw) -> int:
    events = [
        pull_event(account.id, flow)
        for account in await gw.store.list_accounts()
        if await gw.store.list_tenants(account.id)
        for flow in FLOWS
    ]
    if events:
        await gw.submit(events)
    return len(events)


async def poll_forever(gw, every: float) -> None:
    while True:
        try:
            await poll_once(gw)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("polling Specter failed; trying again in %.0fs", every)
        await asyncio.sleep(every)
