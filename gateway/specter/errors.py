"""Specter's failures, sorted into transient (retry later) and permanent (a person must look).

Transient: HTTP 5xx, 429 and 408, timeouts, connection errors, and answers that are not
Specter's (a proxy's or firewall's HTML page, garbage): Specter or the path to it is unwell.
Permanent: every answer with result ``0``, unless its code is mapped to a transient class in
``CODE_CLASSES``. Specter's error codes are not public; only 99 (an earlier batch is still open)
is known, so the rest of the mapping goes by the message (``MESSAGE_CLASSES``). Both tables are
here and nowhere else.
"""

from __future__ import annotations

import re

from gateway.errors import GatewayError, PermanentError, TransientError


class SpecterError(GatewayError):
    """An error answer or failed call; ``code`` is Specter's code, or e.g. ``HTTP 503``."""

    def __init__(self, code: str, message: str, *, action: str = ""):
        self.code = code
        self.message = message
        self.action = action
        where = f"Specter {action}" if action else "Specter"
        super().__init__(f"{where}: error {code}: {message}" if code else f"{where}: {message}")


class SpecterTransientError(SpecterError, TransientError):
    """Specter or the way to it failed now; the same call may work later."""


class SpecterPermanentError(SpecterError, PermanentError):
    """Specter refused the request; sending it again unchanged fails again."""


class BadAnswer(SpecterTransientError):
    """Not an answer Specter gives: an HTML error page, or text that does not parse."""

    def __init__(self, message: str, *, action: str = ""):
        super().__init__("bad answer", message, action=action)


class OpenBatchError(SpecterTransientError):
    """Error 99: an earlier batch is still open. Re-read ``open_batch_no``, store, acknowledge it."""

    def __init__(self, code: str, message: str, *, action: str = ""):
        super().__init__(code, message, action=action)
        found = re.search(r"'([^']+)'", message)
        self.open_batch_no: str | None = found.group(1) if found else None


class AuthenticationError(SpecterPermanentError):
    """Specter does not accept the account's sbmId, API user or keys."""


class DuplicateOrderError(SpecterPermanentError):
    """Specter already has an order with this externalOrderNo; ``existing_order_id`` if it said."""

    def __init__(self, code: str, message: str, *, action: str = ""):
        super().__init__(code, message, action=action)
        # "orderId 123", "orderNo: 123", "order '123'" — but not the externalOrderNo itself.
        found = re.search(r"(?<!external)order\s*(?:id|no|nr)?\s*[:=#]?\s*'?(\d+)", message, re.IGNORECASE)
        self.existing_order_id: str | None = found.group(1) if found else None


# Known error codes. Add a code here when Specter's answer for it is seen.
CODE_CLASSES: dict[str, type[SpecterError]] = {
    "99": OpenBatchError,
}

# Codes are not public, so recognise the errors the engine must tell apart by their message
# (English and Swedish wordings), checked in order.
MESSAGE_CLASSES: list[tuple[re.Pattern[str], type[SpecterError]]] = [
    (
        re.compile(r"already (exists|registered)|finns redan|existerar redan|duplicate|dubblett", re.IGNORECASE),
        DuplicateOrderError,
    ),
    (
        re.compile(
            r"(invalid|wrong|incorrect|bad|unknown|felaktig|ogiltig|ok.nd?t?)\W+(\w+\W+)?"
            r"(key|nyckel|sbmid|apiuserid|api\s*user|signature)"
            r"|authenticat|unauthori[sz]ed|access denied|not allowed",
            re.IGNORECASE,
        ),
        AuthenticationError,
    ),
]


def error_for(code: str, message: str, *, action: str = "") -> SpecterError:
    """The exception for an error answer ``0;code;message``."""
    cls = CODE_CLASSES.get(code.strip())
    if cls is None:
        cls = next((c for pattern, c in MESSAGE_CLASSES if pattern.search(message)), SpecterPermanentError)
    if cls is DuplicateOrderError and action and action != "newOrderSubmit":
        cls = SpecterPermanentError  # "already exists" means a duplicate order only for orders
    return cls(code.strip(), message.strip(), action=action)


def error_for_status(status: int, reason: str, *, action: str = "") -> SpecterError:
    """The exception for an HTTP status other than 200."""
    code = f"HTTP {status}"
    message = reason or "no reason given"
    if status >= 500 or status in (408, 429):
        return SpecterTransientError(code, message, action=action)
    if status in (401, 403):
        return AuthenticationError(code, message, action=action)
    return SpecterPermanentError(code, message, action=action)
