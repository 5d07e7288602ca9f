"""Errors shared by the engine, the adapters and the Specter client.

Every failure of an outbound call is either transient (worth retrying later: timeouts, 5xx, 429,
a firewall's HTML page, Specter being down) or permanent (retrying cannot help: bad credentials,
a rejected article). The job runners retry the first kind with backoff and park the second in
the dead state with its reason, for a person to read and "transfer again".
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own errors."""


class ConfigError(GatewayError):
    """A setting, tenant or plugin configuration that cannot work (found at configuration time)."""


class TransientError(GatewayError):
    """Failed now, may work later: retry with backoff."""


class PermanentError(GatewayError):
    """Will fail again the same way: do not retry."""


class CredentialsRefused(PermanentError):
    """The shop refused the tenant's credentials (API keys, token, shared secret) or their rights:
    every call fails the same way until a person mends them, so the alerts tell someone
    (gateway/alerts/). Adapters raise it, or a subclass of it, for such an answer."""


class RejectedRequest(GatewayError):
    """An inbound request the gateway refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Busy(GatewayError):
    """The object is locked by another job; run again shortly without counting an attempt."""
