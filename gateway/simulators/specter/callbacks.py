"""Calls the URLs that checkAccountSettings registered, in the background.

Change triggers (stock, article, order) coalesce: at most one call per account and trigger is
in flight, and changes made meanwhile cause exactly one more call after it. Triggers with tokens
(removed order, new invoice) call once per event. Specter does not retry: a shop that is down
misses the call and the flags stay set. Every attempt is logged for inspection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from .state import AccountState, SpecterState


@dataclass(frozen=True, slots=True)
class CallbackAttempt:
    sbm_id: int
    trigger: str
    url: str
    status: int | None  # None when no answer came
    error: str = ""


def fill(template: str, tokens: dict[str, str]) -> str:
    """Replace ``$orderNo``-style tokens, longest names first so none eats another."""
    for name in sorted(tokens, key=len, reverse=True):
        template = template.replace(f"${name}", quote(tokens[name], safe=""))
    return template


class Callbacks:
    def __init__(self, state: SpecterState, timeout_s: float = 10.0):
        self.log: list[CallbackAttempt] = []
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[tuple[int, str]] = set()
        self._again: set[tuple[int, str]] = set()
        state.notify = self.notify

    def notify(self, account: AccountState, trigger: str, tokens: dict[str, str]) -> None:
        if not account.callback_urls.get(trigger):
            return
        sbm_id = account.account.sbm_id
        if tokens:
            self._spawn(self._call(sbm_id, trigger, fill(account.callback_urls[trigger], tokens)))
            return
        key = (sbm_id, trigger)
        if key in self._in_flight:
            self._again.add(key)
        else:
            self._in_flight.add(key)
            self._spawn(self._coalesced(account, trigger))

    async def idle(self) -> None:
        """Wait until no callback is in flight (for tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _coalesced(self, account: AccountState, trigger: str) -> None:
        key = (account.account.sbm_id, trigger)
        try:
            while True:
                self._again.discard(key)
                if url := account.callback_urls.get(trigger):
                    await self._call(key[0], trigger, url)
                if key not in self._again:
                    return
        finally:
            self._in_flight.discard(key)
            self._again.discard(key)

    async def _call(self, sbm_id: int, trigger: str, url: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url) as response:
                await response.read()
                attempt = CallbackAttempt(sbm_id, trigger, url, response.status)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            attempt = CallbackAttempt(sbm_id, trigger, url, None, f"{type(exc).__name__}: {exc}")
        self.log.append(attempt)
