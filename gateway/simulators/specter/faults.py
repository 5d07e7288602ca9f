"""Injected faults for the Specter API endpoints (never the control API): latency, random error
statuses, and an outage during which every call fails. The clock, the sleep and the random
generator are attributes so that tests can drive them without waiting."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import msgspec
from aiohttp import web


class FaultConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    latency_ms: int = 0
    error_rate: float = 0.0  # share of calls answered with error_status, 0.0-1.0
    error_status: int = 500
    down_for_s: float = 0.0  # from now on, every call fails for this long
    down_mode: Literal["503", "reset"] = "503"  # "reset": the connection is dropped unanswered
    # The next N calls are carried out, but their answers are lost (the connection drops after
    # the work is done): what a client sees as a timeout after Specter stored the order.
    lose_answers: int = 0
    lose_answers_action: str = ""  # only answers to this action (e.g. "newOrderSubmit"); "": any


class Faults:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self.config = FaultConfig()
        self.down_until = 0.0

    def configure(self, config: FaultConfig) -> None:
        if not 0.0 <= config.error_rate <= 1.0:
            raise ValueError("error_rate must be within 0.0-1.0")
        self.config = config
        self.down_until = self.clock() + config.down_for_s if config.down_for_s > 0 else 0.0

    def clear(self) -> None:
        self.configure(FaultConfig())

    def describe(self) -> dict[str, Any]:
        return {**msgspec.to_builtins(self.config), "down_remaining_s": max(0.0, self.down_until - self.clock())}

    async def apply(self, request: web.Request) -> web.StreamResponse | None:
        """A failure to answer instead of the real one, or None to go on (after any latency)."""
        c = self.config
        if self.down_until and self.clock() < self.down_until:
            if c.down_mode == "reset" and request.transport is not None:
                request.transport.abort()
            return web.Response(status=503, text="Service Unavailable")
        if c.latency_ms > 0:
            await self.sleep(c.latency_ms / 1000)
        if c.error_rate > 0 and self.rng.random() < c.error_rate:
            return web.Response(status=c.error_status, text="Internal Server Error")
        return None

    def answer_lost(self, request: web.Request, action: str) -> bool:
        """After a call was carried out: drop its answer instead, while lose_answers lasts."""
        only = self.config.lose_answers_action.lower()
        if self.config.lose_answers <= 0 or (only and only != action.lower()):
            return False
        self.config.lose_answers -= 1
        if request.transport is not None:
            request.transport.abort()
        return True
