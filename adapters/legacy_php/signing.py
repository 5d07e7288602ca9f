"""The v1 signing scheme both directions use, and the inbound check with its replay window.

``X-Specter-Timestamp`` is unix seconds; ``X-Specter-Signature`` is the hex
``HMAC-SHA256(shared_secret, timestamp + "." + raw body)``. A request is refused when the
signature does not match, when its timestamp is more than :data:`WINDOW` seconds away, or when
the same signature was already seen inside the window (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from gateway.errors import RejectedRequest

WINDOW = 300  # seconds either side of now


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {"X-Specter-Timestamp": timestamp, "X-Specter-Signature": sign(secret, timestamp, body)}


class ReplayGuard:
    """The signatures seen within the window, for one shop, so a replay to this process is
    refused with 401. Memory is enough here because it is not the only guard: a contract v2
    event's nonce is its dedupe key in the event log (see decode.events), so a replay that
    reaches another gateway process, or comes after a restart, is stored once and does nothing;
    and none is taken outside the timestamp window."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}  # signature -> when it stops mattering

    def check(self, secret: str, headers: dict[str, str], body: bytes, now: float) -> None:
        timestamp = headers.get("x-specter-timestamp", "")
        given = headers.get("x-specter-signature", "")
        if not timestamp or not given:
            raise RejectedRequest(401, "missing X-Specter-Timestamp or X-Specter-Signature header")
        if not secret:
            raise RejectedRequest(401, "no shared secret is configured for this shop")
        if not hmac.compare_digest(given.lower().encode(), sign(secret, timestamp, body).encode()):
            raise RejectedRequest(401, "X-Specter-Signature does not match (wrong shared secret?)")
        if not timestamp.isdigit() or abs(now - int(timestamp)) > WINDOW:
            raise RejectedRequest(401, f"X-Specter-Timestamp is more than {WINDOW} s from the gateway's clock")
        for signature, until in list(self._seen.items()):
            if until < now:
                del self._seen[signature]
        if given.lower() in self._seen:
            raise RejectedRequest(401, "this signed request was already received (a replay)")
        self._seen[given.lower()] = int(timestamp) + WINDOW
