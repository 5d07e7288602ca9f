"""How alerts and reports leave the gateway: e-mail over SMTP (aiosmtplib) and a signed JSON
webhook.

The webhook's body is JSON with a ``text`` field, which is all a Slack or Microsoft Teams
incoming webhook needs, and the alert's fields beside it for a program. Each call is signed
so that a receiver can tell it came from this gateway and was not replayed:

* ``X-Specter-Gateway-Timestamp``: the Unix time of the call, in seconds;
* ``X-Specter-Gateway-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the
  tenant's webhook secret, of the timestamp, a ``.`` and the raw body.

A receiver computes the same HMAC over the bytes it received, compares in constant time, and
refuses a timestamp more than five minutes from its clock (see docs/alerts.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiohttp
import aiosmtplib
import msgspec
from yarl import URL

from gateway.config import GatewayConfig
from gateway.errors import ConfigError

SIGNATURE_HEADER = "X-Specter-Gateway-Signature"
TIMESTAMP_HEADER = "X-Specter-Gateway-Timestamp"
SEND_TIMEOUT_SECONDS = 30.0
SECURITY = ("starttls", "tls", "none")


class NotSent(Exception):
    """A channel could not deliver; the text says why and names no secret."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def send_email(config: GatewayConfig, to: list[str], subject: str, text: str) -> None:
    """One plain-text e-mail to ``to`` through the configured SMTP server."""
    if not config.smtp_host:
        raise NotSent("no SMTP server is set for the gateway (SPECTER_GATEWAY_SMTP_HOST)")
    if config.smtp_security not in SECURITY:
        raise ConfigError(f"SPECTER_GATEWAY_SMTP_SECURITY must be one of {', '.join(SECURITY)}, "
                          f"not {config.smtp_security!r}")
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="specter-gateway")
    message.set_content(text)
    try:
        await aiosmtplib.send(
            message, hostname=config.smtp_host, port=config.smtp_port,
            username=config.smtp_user or None, password=config.smtp_password or None,
            use_tls=config.smtp_security == "tls", start_tls=config.smtp_security == "starttls",
            timeout=SEND_TIMEOUT_SECONDS)
    except (aiosmtplib.SMTPException, OSError) as exc:
        # aiosmtplib's messages name the server and its answer, never the password.
        raise NotSent(f"the SMTP server {config.smtp_host}:{config.smtp_port} did not take the e-mail: "
                      f"{type(exc).__name__}: {exc}") from None


async def post_webhook(http: aiohttp.ClientSession, url: str, secret: str, body: dict[str, Any]) -> None:
    """POST ``body`` as JSON to ``url``, signed with ``secret``; any 2xx answer is delivery."""
    raw = msgspec.json.encode(body)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: signature(secret, timestamp, raw)}
    try:
        async with http.post(url, data=raw, headers=headers, allow_redirects=False,
                             timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)) as resp:
            status = resp.status
    except TimeoutError:
        raise NotSent(f"the webhook {_where(url)} did not answer within {SEND_TIMEOUT_SECONDS:.0f} s") from None
    except aiohttp.ClientError as exc:
        raise NotSent(f"the webhook {_where(url)} could not be reached: {type(exc).__name__}") from None
    if not 200 <= status < 300:
        raise NotSent(f"the webhook {_where(url)} answered HTTP {status}")


def _where(url: str) -> str:
    # Incoming-webhook URLs carry their secret in the path (Slack, Teams): name the host only.
    return URL(url).host or "?"
