"""The web process's alert loop: send the digests whose quiet period has ended, try failed
messages again, and make and e-mail the daily reports."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from gateway.alerts.notify import LEASE_SECONDS, deliver
from gateway.alerts.reports import email_reports, make_due_reports

if TYPE_CHECKING:  # pragma: no cover
    from gateway.services import Gateway

log = logging.getLogger("gateway.alerts")


async def alerts_once(gw: Gateway) -> int:
    """One round; answers how many alert messages went out."""
    sent = 0
    for tenant_id, cause in await gw.store.waiting_alert_causes(LEASE_SECONDS):
        try:
            if await deliver(gw, tenant_id, cause) is not None:
                sent += 1
        except Exception:  # noqa: BLE001 - one tenant's failure stops no other's
            log.exception("sending tenant %s's %s alert failed", tenant_id, cause)
    await make_due_reports(gw)
    await email_reports(gw)
    return sent


async def alerts_forever(gw: Gateway, every: float) -> None:
    while True:
        try:
            await alerts_once(gw)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("the alert round failed; trying again in %.0fs", every)
        await asyncio.sleep(every)
