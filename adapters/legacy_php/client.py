"""The gateway's calls to a legacy PHP shop: ``POST {url}?action=NAME`` with a signed JSON body.

Contract v2 adds ``action`` and a random ``nonce`` to every body: the signature then covers the
action (a captured body cannot be sent to another one), and two equal calls in one second still
differ, which the shop's replay guard needs (it refuses a signature it has seen). A v1 tenant's
calls stay exactly as they were.

The shop answers ``{"ok": true, "data": ...}`` or ``{"ok": false, "error": {"code", "message"}}``
(see README.md). ``not_found`` becomes ``None`` for the ``get_*`` calls; other error objects are
:class:`LegacyPhpError` (permanent); timeouts, lost connections, 429, 5xx and pages that are not
JSON (a PHP fatal error, a host's error page) are :class:`TransientError`.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

import aiohttp

from adapters.legacy_php.signing import signed_headers
from gateway import http_problems
from gateway.errors import CredentialsRefused, PermanentError, TransientError


class LegacyPhpError(PermanentError):
    def __init__(self, action: str, code: str, message: str):
        super().__init__(f"PHP shop {action}: {code}: {message}")
        self.action = action
        self.code = code


class LegacyPhpAccessError(LegacyPhpError, CredentialsRefused):
    """gateway.php answered 401 ``unauthorized``: the shared secret is not the shop's."""


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)  # money travels as decimal strings: PHP floats would round it
    raise TypeError(f"cannot encode {type(value).__name__}")


class LegacyPhpClient:
    def __init__(self, url: str, secret: str, http: aiohttp.ClientSession, *, contract_version: int = 1,
                 timeout: float = 30.0):
        self.url = url
        self.contract_version = contract_version
        self._secret = secret
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def __repr__(self) -> str:  # never the secret
        return f"LegacyPhpClient({self.url!r})"

    async def call(self, action: str, params: dict[str, Any] | None = None) -> Any:
        sent = dict(params or {})
        if self.contract_version >= 2:
            sent |= {"action": action, "nonce": secrets.token_hex(8)}
        body = json.dumps(sent, default=_default).encode()
        headers = {"Content-Type": "application/json", **signed_headers(self._secret, body)}
        where = f"PHP shop {action}"
        try:
            async with self._http.post(self.url, params={"action": action}, data=body, headers=headers,
                                       timeout=self._timeout) as resp:
                status, raw = resp.status, await resp.read()
        except TimeoutError:
            raise TransientError(f"{where}: timed out") from None
        except aiohttp.ClientError as exc:
            raise TransientError(f"{where}: {http_problems.describe(exc, self.url)}") from None
        if status == 429 or status >= 500 and not raw.lstrip().startswith(b"{"):
            raise TransientError(f"{where}: answered HTTP {status}")
        try:
            answer = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise TransientError(f"{where}: answered HTTP {status} with something that is not JSON "
                                 f"(a PHP error?): {raw[:120]!r}") from None
        if isinstance(answer, dict) and answer.get("ok") is True:
            return answer.get("data")
        error = answer.get("error") if isinstance(answer, dict) else None
        error = error if isinstance(error, dict) else {}
        code, message = str(error.get("code", f"http_{status}")), str(error.get("message", "no error message"))
        if status >= 500:
            raise TransientError(f"{where}: {code}: {message}")
        raise (LegacyPhpAccessError if status == 401 else LegacyPhpError)(action, code, message)

    async def get(self, action: str, object_id: str) -> Any:
        """A ``get_*`` call: the object, or None when the shop has no such object."""
        try:
            return await self.call(action, {"id": object_id})
        except LegacyPhpError as exc:
            if exc.code == "not_found":
                return None
            raise
