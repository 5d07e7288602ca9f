"""Event handlers for job tests, loaded as a plugin (``GatewayConfig(plugins=[...])``).

Each handler appends one JSON line per run to ``payload["log"]`` (a file), so a test sees how
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
from gateway.jobs.execute import Outcome


def _log(event: Any, **extra: Any) -> None:
    line = {"id": event.id, "attempt": event.attempts, "at": time.time(), **extra}
    with Path(event.payload["log"]).open("a") as f:
        f.write(json.dumps(line) + "\n")


async def ok(gw: Any, event: Any) -> Outcome:
    _log(event)
    return Outcome(result={"echo": event.payload.get("echo")})


async def flaky(gw: Any, event: Any) -> None:
    """Fails transiently until its attempt number reaches payload["succeed_on"] (0: never)."""
    _log(event)
    succeed_on = event.payload["succeed_on"]
    if not succeed_on or event.attempts < succeed_on:
        raise TransientError(f"flaky on attempt {event.attempts}")


async def broken(gw: Any, event: Any) -> None:
    _log(event)
    raise PermanentError("the probe is broken for good")


async def slow(gw: Any, event: Any) -> None:
    """Sleeps payload["seconds"] (on later attempts payload["later_seconds"], default 0),
    logging when it started and ended."""
    started = time.time()
    await asyncio.sleep(event.payload["seconds"] if event.attempts == 1 else event.payload.get("later_seconds", 0))
    _log(event, started=started)


@hookimpl
def register_event_handlers(register):
    register("probe.ok", ok)
    register("probe.flaky", flaky)
    register("probe.broken", broken)
    register("probe.slow", slow)
