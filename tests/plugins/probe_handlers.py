"""Event kinds and handlers for job tests, loaded as a plugin (``GatewayConfig(plugins=[...])``),
as a third-party plugin adds kinds of its own.

Each handler appends one JSON line per run to the event's ``log`` (a file), so a test sees how
often and in which order handlers ran, whichever process ran them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from gateway.adapter import hookimpl
from gateway.errors import PermanentError, TransientError
from gateway.events import TenantEvent
from gateway.jobs.execute import Outcome
from gateway.jobs.registry import Register


class Probe(TenantEvent, kw_only=True, frozen=True):
    log: str
    about: str = ""  # the subject: jobs about one thing never overlap; "": none overlaps

    @property
    def subject(self) -> str:
        return self.about


class ProbeOk(Probe, kw_only=True, frozen=True):
    kind = "probe.ok"
    echo: str | None = None


class ProbeFlaky(Probe, kw_only=True, frozen=True):
    """Fails transiently until its attempt number reaches ``succeed_on`` (0: never)."""

    kind = "probe.flaky"
    succeed_on: int


class ProbeBroken(Probe, kw_only=True, frozen=True):
    kind = "probe.broken"


class ProbeSlow(Probe, kw_only=True, frozen=True):
    """Sleeps ``seconds`` (on later attempts ``later_seconds``), logging when it started and ended."""

    kind = "probe.slow"
    seconds: float
    later_seconds: float = 0


def _log(event: Probe, **extra: Any) -> None:
    line = {"id": event.id, "attempt": event.attempts, "at": time.time(), **extra}
    with Path(event.log).open("a") as f:
        f.write(json.dumps(line) + "\n")


async def ok(gw: Any, event: ProbeOk) -> Outcome:
    _log(event)
    return Outcome(result={"echo": event.echo})


async def flaky(gw: Any, event: ProbeFlaky) -> None:
    _log(event)
    if not event.succeed_on or event.attempts < event.succeed_on:
        raise TransientError(f"flaky on attempt {event.attempts}")


async def broken(gw: Any, event: ProbeBroken) -> None:
    _log(event)
    raise PermanentError("the probe is broken for good")


async def slow(gw: Any, event: ProbeSlow) -> None:
    started = time.time()
    await asyncio.sleep(event.seconds if event.attempts == 1 else event.later_seconds)
    _log(event, started=started)


@hookimpl
def register_event_handlers(register: Register) -> None:
    register(ProbeOk, ok)
    register(ProbeFlaky, flaky)
    register(ProbeBroken, broken)
    register(ProbeSlow, slow)
