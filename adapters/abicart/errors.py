"""Abicart's JSON-RPC errors as the gateway's kinds of failure.

Abicart documents its error codes (developer.abicart.se, "Errors"): the JSON-RPC ones, 1001-1008
for the context (webshop, token, rights) and 20xx for orders and payments. The gateway needs
three answers from them: stop and tell a person (the token or its rights: nothing works until
someone mends them), try again later (Abicart's own internal errors), or refuse this one object
and say which of its fields Abicart refused.
"""

from __future__ import annotations

from typing import Any, Literal

from gateway.errors import CredentialsRefused, PermanentError, TransientError

BAD_TOKEN = 1004
FORBIDDEN = 1006
NO_WEBSHOP, BAD_WEBSHOP = 1001, 1002
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INTERNAL = -32603
# -32000 to -32099 are the server's own errors: documented as internal, so worth another try.
SERVER_ERRORS = range(-32099, -31999)

AccessReason = Literal["credentials", "rights"]


class AbicartError(PermanentError):
    """A JSON-RPC ``error`` answer that retrying will not mend. ``pointers`` are the JSON
    Pointers of the fields Abicart refused (error -32602), e.g. ``/price/regular``."""

    def __init__(self, method: str, code: int, message: str, pointers: tuple[str, ...] = ()):
        super().__init__(message)
        self.method = method
        self.code = code
        self.pointers = pointers


class AbicartAccessError(AbicartError, CredentialsRefused):
    """The tenant's credentials (1004 bad token, 1001/1002 no such webshop) or rights (1006)
    fail: every call would fail the same way, so the tenant's work stops here with a reason a
    person can act on (``reason`` says which), rather than failing item by item."""

    def __init__(self, method: str, code: int, message: str, reason: AccessReason):
        super().__init__(method, code, message)
        self.reason = reason


class AbicartBusy(TransientError):
    """Abicart's internal error (-32000 to -32099, -32603): tried again later."""

    def __init__(self, method: str, code: int, message: str):
        super().__init__(message)
        self.method = method
        self.code = code


def _pointers(data: Any) -> list[tuple[str, str]]:
    """(pointer, message) of each refused field in an error's ``data``: a list of
    ``{message, pointer}``, or a bare string (no pointer)."""
    if isinstance(data, list):
        return [(str(d.get("pointer") or ""), str(d.get("message") or "")) for d in data if isinstance(d, dict)]
    if isinstance(data, str) and data:
        return [("", data)]
    return []


def error_for(method: str, error: dict[str, Any], webshop: int) -> Exception:
    """The exception for one JSON-RPC ``error`` object of a call to ``method``."""
    try:
        code = int(error.get("code", 0))
    except (TypeError, ValueError):
        code = 0
    text = str(error.get("message") or "").strip()
    if code == BAD_TOKEN:
        return AbicartAccessError(method, code, (
            f"Abicart refused the API key (error 1004, {text or 'bad auth token'}) on {method}: check the tenant's "
            f"credentials (its auth_token, a key of webshop {webshop}, not revoked)"), "credentials")
    if code in (NO_WEBSHOP, BAD_WEBSHOP):
        return AbicartAccessError(method, code, (
            f"Abicart does not know webshop {webshop} (error {code}, {text}) on {method}: check the tenant's "
            "credentials (its webshop id)"), "credentials")
    if code == FORBIDDEN:
        return AbicartAccessError(method, code, (
            f"Abicart denied {method} (error 1006, {text or 'forbidden'}): the API key lacks the rights for it; "
            "give the key those rights in Abicart's admin (Settings, External connections, API keys)"), "rights")
    if code == INTERNAL or code in SERVER_ERRORS:
        return AbicartBusy(method, code, f"Abicart {method} failed inside Abicart (error {code}: {text})")
    if code == INVALID_PARAMS:
        refused = _pointers(error.get("data"))
        named = "; ".join(f"{p}: {m}" if p else m for p, m in refused) or text
        return AbicartError(method, code, f"Abicart {method} refused {named} (error -32602)",
                            tuple(p for p, _ in refused if p))
    return AbicartError(method, code, f"Abicart {method} answered error {code}: {text}")
