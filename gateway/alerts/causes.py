"""Why a person is told: the causes of alerts, their titles, and which failure is which cause.

A cause is a short name (``event_dead``); each tenant gets at most one message per cause in the
quiet period (an hour), so causes are coarse on purpose: "an order failed" and "another order
failed" are one digest, "Specter refuses the keys" is another.
"""

from __future__ import annotations

import re

from gateway.errors import CredentialsRefused
from gateway.model import InvalidInput
from gateway.specter.errors import AuthenticationError

EVENT_DEAD = "event_dead"
SPECTER_KEYS = "specter_keys"
SHOP_CREDENTIALS = "shop_credentials"
WEBHOOK_DISABLED = "webhook_disabled"
RECONCILIATION = "reconciliation"
TEST = "test"

# The known causes and how a message names them; a caller may use another name (a plugin's),
# titled from the name itself.
CAUSES: dict[str, str] = {
    EVENT_DEAD: "Work failed for good (an order, a product, an export, …)",
    SPECTER_KEYS: "Specter refuses the account's keys",
    SHOP_CREDENTIALS: "The shop refuses the gateway's credentials",
    WEBHOOK_DISABLED: "The shop disabled a webhook (the gateway re-activated it)",
    RECONCILIATION: "Reconciliation found something that needs a person",
    TEST: "A test message",
}
CAUSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_cause(cause: str) -> str:
    if not CAUSE_RE.match(cause):
        raise InvalidInput(f"an alert's cause must be a short lower-case name such as {EVENT_DEAD!r}, not {cause!r}",
                           "cause")
    return cause


def title(cause: str) -> str:
    return CAUSES.get(cause) or cause.replace("_", " ").capitalize()


def cause_of(exc: BaseException) -> str:
    """The cause a failure is told under: the keys or credentials being refused stop every call,
    so they are told as such, not as one more failed order."""
    if isinstance(exc, AuthenticationError):
        return SPECTER_KEYS
    if isinstance(exc, CredentialsRefused):
        return SHOP_CREDENTIALS
    return EVENT_DEAD
