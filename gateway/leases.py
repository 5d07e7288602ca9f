"""What one node at a time does, among any number of nodes (``serve`` and ``worker`` processes) on
one database.

Two kinds of work must not run on two nodes at once:

- Work of the whole gateway that one node does for all: the shop poller (it looks at every shop
  and asks Specter for what changed) and the reconciler (it re-enqueues due events). Each runs
  under a named lease in the store: a node that does not hold it tries to take it every round,
  and only the holder does the work.
- Each event's job, claimed in the event log (``claim_event``), which also keeps two events of
  one subject apart. That is how Specter's pulls and their acknowledgements run once per account
  and flow (their subject is ``pull:stock`` and so on, per account), and a shop's stock pushes
  once per shop.

A lease and a claim last :attr:`LeaseKeeper.seconds`; the node's :class:`LeaseKeeper` renews all
of them in one heartbeat three times as often. A node that dies stops renewing, so within those
seconds its leases are free and its events due again, and the other nodes take them on. A node
that cannot renew (its database unreachable, its event loop stalled) stops counting its leases
as its own once their time is over, so it never keeps working beside the node that took over.
The nodes' clocks must agree to well within a lease's time (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator

from gateway.store.base import Leases

log = logging.getLogger("gateway.leases")

POLLER = "poller"
RECONCILER = "reconciler"


def node_name() -> str:
    """This process, as a lease holder: host, process id and a random part (a restarted process
    that gets the same id is still another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseKeeper:
    """Takes named leases for this node, and renews them and its claims on running events."""

    def __init__(self, store: Leases, seconds: float, holder: str | None = None):
        self.store = store
        self.seconds = seconds
        self.holder = holder or node_name()
        self._held: dict[str, float] = {}  # name -> until when it is surely ours (monotonic)
        self._claims: dict[int, int] = {}  # event id -> the revision this node claimed
        self._task: asyncio.Task[None] | None = None

    @property
    def interval(self) -> float:
        """How often leases and claims are renewed."""
        return self.seconds / 3

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._renew_forever(), name="lease-keeper")

    async def stop(self) -> None:
        """Stop renewing and give the leases up, so another node takes them on at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for name in list(self._held):
            with contextlib.suppress(Exception):
                await self.store.release_lease(name, self.holder)
        self._held.clear()

    def holds(self, name: str) -> bool:
        until = self._held.get(name)
        return until is not None and time.monotonic() < until

    async def hold(self, name: str) -> bool:
        """Whether this node holds the lease ``name``, taking it when it is free."""
        if self.holds(name):
            return True
        asked = time.monotonic()
        if await self.store.take_lease(name, self.holder, self.seconds):
            if name not in self._held:
                log.info("%s took the %s lease", self.holder, name)
            self._held[name] = asked + self.seconds
            return True
        self._held.pop(name, None)
        return False

    @contextlib.contextmanager
    def claim(self, event_id: int, revision: int) -> Iterator[None]:
        """Keep this node's claim on a running event alive while the block runs."""
        self._claims[event_id] = revision
        try:
            yield
        finally:
            if self._claims.get(event_id) == revision:
                del self._claims[event_id]

    async def renew(self) -> None:
        """One heartbeat: every lease held and every claim, extended in one transaction."""
        asked = time.monotonic()
        names = [name for name in self._held if self.holds(name)]
        kept = await self.store.keep_leases(self.holder, names, list(self._claims.items()), self.seconds)
        for name in list(self._held):
            if name in kept:
                self._held[name] = asked + self.seconds
            else:
                log.warning("%s lost the %s lease (not renewed in time)", self.holder, name)
                del self._held[name]

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next heartbeat tries again; holds() times out
                log.warning("renewing %s's leases failed: %s", self.holder, exc)
