"""Failed console sign-ins, limited per user name and per client address.

``signin_max_failures_user`` failures for one name (whether or not such a user exists, so the
lock tells nothing about who does), or ``signin_max_failures_address`` from one address, within
``signin_lockout_seconds`` lock that name or address out until ``signin_lockout_seconds`` after
the last of them. While locked, a sign-in is refused before its password is checked (and is
not counted). A successful sign-in clears its name's failures, not its address's; so does a new
password (``specter-gateway user add``).

Failures are kept by the store, so the limit holds across restarts and across gateway nodes.
The address is the client's as uvicorn reports it: behind a reverse proxy on the same host it
is the browser's (uvicorn takes ``X-Forwarded-For`` from 127.0.0.1); a proxy elsewhere must be
named in ``FORWARDED_ALLOW_IPS``, or every browser counts as the proxy's one address.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from starlette.requests import Request

from gateway.web.state import gateway_of

NAME_KEPT = 200  # characters of a typed name used as its key; no user name is longer


@dataclass(frozen=True)
class Lockout:
    until: float
    by: str  # "user name" or "address"

    def message(self) -> str:
        when = dt.datetime.fromtimestamp(self.until).strftime("%H:%M:%S")
        minutes = max(1, round((self.until - time.time()) / 60))
        whom = "for this user name" if self.by == "user name" else "from this address"
        return (f"Too many failed sign-ins {whom}: signing in is locked until {when} "
                f"(about {minutes} minute{'s' if minutes != 1 else ''}). Try again then, or ask an administrator "
                "for a new password, which lifts the lock.")

    @property
    def retry_after(self) -> str:
        return str(max(1, int(self.until - time.time()) + 1))


def _keys(request: Request, name: str) -> list[tuple[str, str, int]]:
    """(key, what it limits, how many failures lock it) for this sign-in."""
    config = gateway_of(request).config
    address = request.client.host if request.client else "unknown"
    return [(f"user:{name[:NAME_KEPT]}", "user name", config.signin_max_failures_user),
            (f"address:{address}", "address", config.signin_max_failures_address)]


async def lockout(request: Request, name: str) -> Lockout | None:
    """The lock-out this sign-in is under, if any (the one that ends last)."""
    gw = gateway_of(request)
    window = gw.config.signin_lockout_seconds
    now = time.time()
    found: Lockout | None = None
    for key, by, most in _keys(request, name):
        failures = await gw.store.signin_failures(key, now - window)
        if most > 0 and len(failures) >= most:
            until = failures[-1] + window
            if until > now and (found is None or until > found.until):
                found = Lockout(until, by)
    return found


async def failed(request: Request, name: str) -> Lockout | None:
    """Count a failed sign-in; answer the lock-out it brings about, if any."""
    await gateway_of(request).store.record_signin_failure([key for key, _, _ in _keys(request, name)], time.time())
    return await lockout(request, name)


async def succeeded(request: Request, name: str) -> None:
    await gateway_of(request).store.clear_signin_failures(_keys(request, name)[0][0])
